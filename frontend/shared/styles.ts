// Shared styles, scoped under .plms-task (a bundle's <style> lives inside its element and
// styles nothing else). Status is told by words and icons as well as colour. Laid out for a
// phone (360 px: one column) up to a desktop (1280 px: a grid of fields and cards).
export const STYLES = `
.plms-task{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;max-width:64rem;color:#1a1a1a;line-height:1.4;font-size:1rem}
.plms-task *,.plms-task *::before,.plms-task *::after{box-sizing:border-box}
.plms-task .plms-intro{margin:.2rem 0 .8rem}
.plms-task .plms-unavailable{border:2px solid #8a6d00;background:#fffbe6;padding:.6rem .8rem;margin:0 0 .8rem}
.plms-task .plms-restored{background:#eef4fb;border-left:.3rem solid #1f5fbf;padding:.4rem .7rem;margin:0 0 .6rem;font-size:.9rem}
.plms-task .plms-group{border:1px solid #c8c8c8;border-radius:.3rem;margin:0 0 .6rem;padding:0 .7rem}
.plms-task .plms-group>summary{cursor:pointer;font-weight:700;padding:.5rem 0;min-height:2.2rem}
.plms-task .plms-grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(100%,17rem),1fr));gap:.8rem 1.4rem;padding:.2rem 0 .8rem}
.plms-task .plms-field{display:flex;flex-direction:column;gap:.2rem;min-width:0}
.plms-task .plms-wide{grid-column:1/-1}
.plms-task .plms-wide select{max-width:36rem}
.plms-task .plms-label{font-weight:600;font-size:.92rem}
.plms-task .plms-unit{font-weight:400;color:#444}
.plms-task .plms-check{display:flex;gap:.5rem;align-items:center;font-weight:600;font-size:.92rem;min-height:2.2rem}
.plms-task .plms-check input{width:1.2rem;height:1.2rem}
.plms-task .plms-numeric{display:flex;gap:.5rem;align-items:center}
.plms-task .plms-numeric input[type=range]{flex:1;min-width:0}
.plms-task input[type=number]{width:6.5rem;flex:none}
.plms-task input,.plms-task select,.plms-task textarea{font:inherit;font-size:1rem;min-height:2.2rem;max-width:100%}
.plms-task select{width:100%}
.plms-task textarea{width:100%;font-family:ui-monospace,monospace}
.plms-task :disabled{opacity:.55}
.plms-task .plms-help,.plms-task .plms-range,.plms-task .plms-note,.plms-task .plms-locked{color:#4a4a4a;font-size:.8rem}
.plms-task .plms-note:empty,.plms-task .plms-error:empty,.plms-task .plms-form-error:empty{display:none}
.plms-task .plms-locked{font-style:italic}
.plms-task .plms-error,.plms-task .plms-form-error{color:#a00000;font-size:.85rem;font-weight:600}
.plms-task .plms-actions{display:flex;flex-wrap:wrap;gap:.6rem;margin:.6rem 0}
.plms-task .plms-actions button{font:inherit;padding:.55rem 1.2rem;min-height:2.6rem;border-radius:.3rem;border:1px solid #1f5fbf;cursor:pointer}
.plms-task .plms-submit{background:#1f5fbf;color:#fff;font-weight:700}
.plms-task .plms-reset{background:#fff;color:#1f5fbf}
.plms-task .plms-progress{display:flex;flex-wrap:wrap;gap:.3rem .8rem;align-items:center;margin:.6rem 0}
.plms-task .plms-progress progress{width:min(100%,22rem);height:1rem}
.plms-task .plms-status{border-left:.4rem solid #888;padding:.3rem .8rem;margin:.6rem 0;background:#f6f6f6}
.plms-task .plms-status h3{margin:.2rem 0;font-size:1.1rem}
.plms-task .plms-status p{margin:.2rem 0}
.plms-task .plms-status-active{border-color:#1f5fbf}
.plms-task .plms-status-success{border-color:#1d7a33}
.plms-task .plms-status-failure{border-color:#a00000;background:#fff3f3}
.plms-task .plms-status-unknown{border-color:#8a6d00;background:#fffbe6}
.plms-task .plms-runtime{font-weight:400;font-size:.85rem;color:#444}
.plms-task .plms-outcome{display:flex;flex-wrap:wrap;gap:.4rem 1.2rem;align-items:baseline;padding:.6rem .8rem;margin:.6rem 0;border-radius:.3rem;font-size:1.05rem}
.plms-task .plms-outcome-passed{background:#e7f5ea;border:2px solid #1d7a33}
.plms-task .plms-outcome-not-passed{background:#fff6e0;border:2px solid #8a6d00}
.plms-task .plms-messages{padding-left:1.2rem}
.plms-task .plms-msg-error{color:#8a0000}
.plms-task .plms-msg-warning{color:#6b5200}
.plms-task .plms-msg-text{white-space:pre-wrap;overflow-wrap:anywhere}
.plms-task .plms-msg-code{font-size:.75rem;color:#555}
.plms-task .plms-refusal{padding-left:1.2rem;overflow-wrap:anywhere}
.plms-task .plms-cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(100%,11rem),1fr));gap:.6rem;margin:.6rem 0}
.plms-task .plms-card{border:1px solid #c8c8c8;border-radius:.3rem;padding:.5rem .7rem;min-width:0}
.plms-task .plms-card-label{font-size:.85rem;color:#333}
.plms-task .plms-card-value{font-size:1.5rem;font-weight:700}
.plms-task .plms-card-note{font-size:.8rem;color:#4a4a4a}
.plms-task .plms-alert{background:#fffbe6;border-left:.3rem solid #8a6d00;padding:.3rem .7rem}
.plms-task .plms-table{border-collapse:collapse;margin:.6rem 0;width:100%;max-width:40rem}
.plms-task .plms-table caption{text-align:left;font-weight:700;padding:.3rem 0}
.plms-task .plms-table th,.plms-task .plms-table td{text-align:left;padding:.25rem .5rem;border-bottom:1px solid #e2e2e2;vertical-align:top}
.plms-task .plms-table th{font-weight:400;color:#333}
.plms-task .plms-chart{margin:.8rem 0}
.plms-task .plms-chart svg{width:100%;height:auto;max-width:44rem;display:block}
.plms-task .plms-chart figcaption{font-weight:700}
.plms-task pre{white-space:pre-wrap;overflow-wrap:anywhere}
.plms-task .plms-kv dt{font-weight:600}
.plms-task .plms-kv dd{margin:0 0 .4rem 0}
`;
