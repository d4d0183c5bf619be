/**
 * The MQTT connector showcase: an mqtt.js connection as a hotswap service, swapped blue/green
 * without losing or duplicating a message. See docs/services.md.
 */
export type {
  ConnectorLog,
  ConnectorShared,
  Identify,
  MqttSettings,
  PublishOptions,
} from './connector.js';
export {
  checkSettings,
  identifyByUserProperty,
  MqttConnector,
  messageIdProperty,
} from './connector.js';
export type { DedupStats } from './dedup.js';
export { MessageDeduper } from './dedup.js';
export type { LedgerClient, MqttHandler, MqttMessage, Qos } from './ledger.js';
export { SubscriptionLedger } from './ledger.js';
export type { MqttConfig, MqttService, MqttServiceOptions } from './mqtt-service.js';
export { registerMqttService } from './mqtt-service.js';
export { checkFilter, topicMatches } from './topic.js';
