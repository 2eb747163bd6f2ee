// Shared styles, scoped by the .plms- prefix. Status is told by text and icons as well as colour.
export const STYLES = `
.plms-task{font-family:system-ui,sans-serif;max-width:60rem;color:#1a1a1a}
.plms-form fieldset{display:grid;grid-template-columns:repeat(auto-fill,minmax(17rem,1fr));gap:.6rem 1.2rem;border:1px solid #ccc;padding:.8rem}
.plms-field{display:flex;flex-direction:column;gap:.15rem}
.plms-field label{font-weight:600;font-size:.9rem}
.plms-numeric{display:flex;gap:.4rem;align-items:center}
.plms-numeric input[type=range]{flex:1}
.plms-numeric input[type=number]{width:6.5rem}
.plms-help,.plms-range{color:#555;font-size:.75rem}
.plms-error,.plms-form-error{color:#a00000;font-size:.8rem}
.plms-submit{margin:.6rem 0;padding:.5rem 1.2rem;font-size:1rem}
.plms-status{border-left:.4rem solid #888;padding:.3rem .8rem;margin:.6rem 0;background:#f6f6f6}
.plms-status h3{margin:.2rem 0}
.plms-status-active{border-color:#1f5fbf}
.plms-status-success{border-color:#1d7a33}
.plms-status-failure{border-color:#a00000;background:#fff3f3}
.plms-status-unknown{border-color:#8a6d00;background:#fffbe6}
.plms-progress progress{width:20rem}
.plms-messages{padding-left:1.2rem}
.plms-msg-error{color:#8a0000}
.plms-msg-warning{color:#6b5200}
.plms-msg-text{white-space:pre-wrap}
.plms-cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(11rem,1fr));gap:.6rem;margin:.6rem 0}
.plms-card{border:1px solid #ccc;border-radius:.3rem;padding:.5rem .7rem}
.plms-card .plms-card-label{font-size:.8rem;color:#444}
.plms-card .plms-card-value{font-size:1.5rem;font-weight:700}
.plms-card .plms-card-note{font-size:.75rem;color:#555}
.plms-chart svg{max-width:100%;height:auto}
.plms-kv dt{font-weight:600}
.plms-kv dd{margin:0 0 .4rem 0}
`;
