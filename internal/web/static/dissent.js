// Dissent's comfort script. Every flow works without it; it only adds
// autosave, live preview and copy buttons. No inline script is allowed by the
// page CSP, so behaviour hangs off data- attributes.
"use strict";
