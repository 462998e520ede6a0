// Passkey ceremonies for Dissent's sign-in and account pages. Loaded as a
// file (the CSP allows no inline script); talks only to its own origin.
"use strict";
(function () {
  function enc(buf) {
    const bytes = new Uint8Array(buf);
    let s = "";
    for (const b of bytes) s += String.fromCharCode(b);
    return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function dec(str) {
    const s = str.replace(/-/g, "+").replace(/_/g, "/");
    const bin = atob(s + "===".slice((s.length + 3) % 4));
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out.buffer;
  }
  async function post(url, body) {
    const r = await fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body || {}),
    });
    const j = await r.json().catch(() => ({}));
    if (!r.ok) throw new Error((j.error && j.error.message) || "HTTP " + r.status);
    return j;
  }
  function status(msg) {
    const el = document.getElementById("passkey-status");
    if (el) el.textContent = msg;
  }
  async function register() {
    const o = (await post("/account/passkeys/options")).publicKey;
    o.challenge = dec(o.challenge);
    o.user.id = dec(o.user.id);
    (o.excludeCredentials || []).forEach((c) => { c.id = dec(c.id); });
    const c = await navigator.credentials.create({ publicKey: o });
    const name = (document.getElementById("passkey-name") || {}).value || "passkey";
    await post("/account/passkeys?name=" + encodeURIComponent(name), {
      id: c.id, rawId: enc(c.rawId), type: c.type,
      authenticatorAttachment: c.authenticatorAttachment || undefined,
      clientExtensionResults: c.getClientExtensionResults(),
      response: {
        attestationObject: enc(c.response.attestationObject),
        clientDataJSON: enc(c.response.clientDataJSON),
        transports: c.response.getTransports ? c.response.getTransports() : [],
      },
    });
    location.assign("/account");
  }
  async function signin() {
    const o = (await post("/signin/passkey/options")).publicKey;
    o.challenge = dec(o.challenge);
    (o.allowCredentials || []).forEach((c) => { c.id = dec(c.id); });
    const c = await navigator.credentials.get({ publicKey: o });
    const res = await post("/signin/passkey", {
      id: c.id, rawId: enc(c.rawId), type: c.type,
      authenticatorAttachment: c.authenticatorAttachment || undefined,
      clientExtensionResults: c.getClientExtensionResults(),
      response: {
        authenticatorData: enc(c.response.authenticatorData),
        clientDataJSON: enc(c.response.clientDataJSON),
        signature: enc(c.response.signature),
        userHandle: c.response.userHandle ? enc(c.response.userHandle) : undefined,
      },
    });
    location.assign(res.next || "/account");
  }
  function wire(id, fn, working) {
    const b = document.getElementById(id);
    if (!b) return;
    b.addEventListener("click", async () => {
      b.disabled = true;
      status(working);
      try { await fn(); status("Done."); }
      catch (e) { status("That did not work: " + e.message); }
      finally { b.disabled = false; }
    });
  }
  document.addEventListener("DOMContentLoaded", () => {
    if (!window.PublicKeyCredential) { status("This browser does not support passkeys."); return; }
    wire("passkey-register", register, "Follow your browser's prompt to create a passkey…");
    wire("passkey-signin", signin, "Follow your browser's prompt to use your passkey…");
  });
})();
