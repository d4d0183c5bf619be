/** The dashboard's stylesheet. The red tint is `body.failed` (after the seed's error tint). */

/** The stylesheet. */
export const pageCss = `:root {
  --bg: #f6f7f9; --card: #fff; --ink: #1d2330; --dim: #6b7385; --line: #e3e6ec;
  --accent: #2f6fed; --ok: #1f9d55; --warn: #c98a04; --bad: #ff4840;
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--ink);
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); min-height: 100vh; }
#tint { position: fixed; inset: 0; pointer-events: none; z-index: 10; display: none;
  background: rgba(255, 72, 64, 0.12); box-shadow: inset 0 0 0 4px rgba(255, 72, 64, 0.85); }
body.failed #tint { display: block; }
body.failed { background: #fdeceb; }
header { display: flex; flex-wrap: wrap; align-items: center; gap: 1rem; padding: 0.8rem 1.4rem;
  background: #151a24; color: #eef1f6; }
header .dim { color: #9aa3b5; }
.brand { font-size: 1.1rem; flex: 1; }
.logo { color: #7fb0ff; font-weight: 700; }
.pills { display: flex; gap: 0.4rem; }
.pill { border-radius: 999px; padding: 0.1rem 0.6rem; background: #2a3142; font-size: 0.8rem; }
.pill.live { background: #17402b; color: #9ff0c2; }
.pill-warn, .state-reloading { background: #4a3a0c; color: #ffd98a; }
.state-closing, .state-closed { background: #4a1c1c; color: #ffb3ae; }
button { font: inherit; border: 0; border-radius: 6px; padding: 0.45rem 1.1rem; cursor: pointer;
  background: var(--accent); color: #fff; font-weight: 600; }
button.secondary { background: #e8edf7; color: var(--ink); }
button:disabled { opacity: 0.55; cursor: progress; }
.actions { display: flex; gap: 0.5rem; }
#banner { margin: 1rem 1.4rem 0; padding: 0.9rem 1.1rem; border-radius: 8px;
  background: #fff; border-left: 6px solid var(--bad); position: relative; z-index: 11; }
#banner h2 { margin: 0 0 0.3rem; font-size: 1.05rem; color: #c2221b; }
#banner p { margin: 0.2rem 0; }
main { display: grid; grid-template-columns: repeat(auto-fit, minmax(330px, 1fr)); gap: 1rem;
  padding: 1rem 1.4rem 2rem; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 8px;
  padding: 0.8rem 1rem; min-width: 0; }
.card.wide { grid-column: 1 / -1; }
.card h3 { margin: 0 0 0.5rem; font-size: 0.85rem; text-transform: uppercase; letter-spacing: 0.05em;
  color: var(--dim); }
table { width: 100%; border-collapse: collapse; }
th, td { text-align: left; padding: 0.3rem 0.4rem; border-bottom: 1px solid var(--line); }
th { color: var(--dim); font-weight: 500; font-size: 0.8rem; }
.dim { color: var(--dim); }
pre { background: #161b26; color: #e6e9ef; padding: 0.6rem 0.8rem; border-radius: 6px;
  overflow-x: auto; font: 12px/1.4 ui-monospace, "SFMono-Regular", Menlo, monospace; }
.o-failed, .failed-text { color: var(--bad); font-weight: 600; }
.o-refreshed, .o-added { color: var(--ok); }
.o-restart-required { color: var(--warn); }
.summary { font-weight: 600; margin-bottom: 0.3rem; white-space: pre-wrap; }
.summary.ok { color: var(--ok); } .summary.failed { color: #c2221b; } .summary.rolled { color: var(--warn); }
.unit-line { font-family: ui-monospace, Menlo, monospace; font-size: 0.85rem; }
.error { border-left: 3px solid var(--bad); padding: 0.2rem 0 0.2rem 0.6rem; margin: 0.4rem 0; }
.where { font-family: ui-monospace, Menlo, monospace; color: var(--dim); font-size: 0.85rem; }
#timeline { list-style: none; margin: 0; padding: 0 0 0 1rem; border-left: 2px solid var(--line); }
#timeline li { position: relative; padding: 0.25rem 0 0.25rem 0.6rem; }
#timeline li::before { content: ""; position: absolute; left: -1.45rem; top: 0.65rem; width: 0.7rem;
  height: 0.7rem; border-radius: 50%; background: var(--ok); border: 2px solid var(--card); }
#timeline li.failed::before { background: var(--bad); }
#timeline li.rolled::before { background: var(--warn); }
#timeline summary { cursor: pointer; list-style: none; }
#timeline .meta { color: var(--dim); font-size: 0.8rem; margin-left: 0.4rem; }
#timeline details > div { margin: 0.3rem 0 0.5rem; }
`;
