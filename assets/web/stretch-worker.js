// Stretches a passphrase (Argon2id) off the page's thread: the page asks
// once with { passphrase, salt, m, t, p } and gets { key } or { error }.
// The same module as the page, loaded a second time in this worker.
import init, { stretch_passphrase } from "./pakchat.js";

const ready = init();
self.onmessage = async (event) => {
  const { passphrase, salt, m, t, p } = event.data;
  try {
    await ready;
    self.postMessage({ key: stretch_passphrase(passphrase, salt, m, t, p) });
  } catch (e) {
    self.postMessage({ error: String(e) });
  }
};
