// The Atrium desktop viewer: noVNC in a custom element with a toolbar, a status overlay
// and automatic reconnect. Every connection attempt asks the server for a fresh
// single-use console ticket (this.$server.newConnection()).
import RFB from '@novnc/novnc';

// What each close code means comes from the server (the gateway's GatewayStatus, the one table), as JSON
// {"4007": {"message": "...", "reconnect": false}, ...} in the closeCodes property. A code it lacks gets
// this generic message, and reconnecting is tried.
const UNKNOWN_CODE_MESSAGE = (code) => `Disconnected (code ${code}).`;
const MAX_ATTEMPTS = 8;

const STYLE = `
  :host { display: flex; flex-direction: column; width: 100%; height: 100%; min-height: 240px;
          background: #1e1e1e; color: #eee; font-family: var(--lumo-font-family, sans-serif); position: relative; }
  .bar { display: flex; align-items: center; gap: 6px; padding: 4px 8px; background: #2b2b2b; flex: none; }
  .bar .title { flex: 1; font-weight: 600; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
  .bar .state { font-size: 12px; padding: 2px 8px; border-radius: 10px; background: #555; }
  .bar .state[data-status=connected] { background: #1d7a3a; }
  .bar .state[data-status=connecting] { background: #8a6d00; }
  .bar .state[data-status=disconnected] { background: #8a1d1d; }
  button { background: #444; color: #eee; border: 1px solid #666; border-radius: 4px; padding: 4px 10px; cursor: pointer; font: inherit; font-size: 13px; }
  button:hover { background: #555; }
  button:disabled { opacity: .5; cursor: default; }
  .screen { flex: 1; position: relative; overflow: hidden; background: #000; }
  .overlay { position: absolute; inset: 0; display: flex; flex-direction: column; align-items: center; justify-content: center;
             gap: 12px; background: rgba(0,0,0,.72); color: #eee; font-size: 18px; text-align: center; padding: 24px; z-index: 10; }
  .overlay[hidden] { display: none; }
`;

class AtriumViewer extends HTMLElement {
  constructor() {
    super();
    this._rfb = null;
    this._ws = null;
    this._attempts = 0;
    this._wanted = false;
    this._timer = null;
    this._closeInfo = null;
    const root = this.attachShadow({ mode: 'open' });
    root.innerHTML = `<style>${STYLE}</style>
      <div class="bar" part="toolbar">
        <span class="title"></span>
        <span class="state" data-status="connecting">connecting</span>
        <button id="cad" title="Send Ctrl+Alt+Del to the desktop">Ctrl+Alt+Del</button>
        <button id="fullscreen" title="Fullscreen">Fullscreen</button>
        <button id="disconnect" title="Disconnect">Disconnect</button>
      </div>
      <div class="screen" part="screen">
        <div class="overlay" part="overlay"><span class="message">Connecting…</span>
          <button id="reconnect" hidden>Reconnect</button></div>
      </div>`;
    this._screen = root.querySelector('.screen');
    this._overlay = root.querySelector('.overlay');
    this._message = root.querySelector('.message');
    this._state = root.querySelector('.state');
    this._reconnectButton = root.querySelector('#reconnect');
    root.querySelector('#cad').addEventListener('click', () => this._rfb && this._rfb.sendCtrlAltDel());
    root.querySelector('#fullscreen').addEventListener('click', () => this.toggleFullscreen());
    root.querySelector('#disconnect').addEventListener('click', () => this.disconnect());
    this._reconnectButton.addEventListener('click', () => { this._attempts = 0; this.connect(); });
  }

  connectedCallback() {
    this.shadowRoot.querySelector('.title').textContent = this.getAttribute('title-text') || 'Desktop';
    // $server is attached by Vaadin right after the element is created.
    setTimeout(() => this.connect(), 0);
  }

  disconnectedCallback() {
    this._wanted = false;
    this._teardown();
  }

  /** The canvas noVNC draws into (for tests and screenshots). */
  get canvas() { return this._screen.querySelector('canvas'); }

  get status() { return this.getAttribute('status'); }

  /** The server's entry for a close code: { message, reconnect }, or null if it has none. */
  _closeCode(code) {
    let table = this.closeCodes;
    if (typeof table === 'string') {
      try { table = JSON.parse(table); } catch (e) { table = null; }
    }
    const entry = table && table[String(code)];
    return entry && typeof entry.message === 'string' ? entry : null;
  }

  async connect() {
    clearTimeout(this._timer);
    this._teardown();
    this._wanted = true;
    this._attempts++;
    this._setStatus('connecting', this._attempts > 1 ? `Reconnecting (attempt ${this._attempts})…` : 'Connecting…');
    let answer;
    try {
      answer = JSON.parse(await this.$server.newConnection());
    } catch (e) {
      answer = { error: 'The server could not be reached.' };
    }
    if (!this._wanted) return;
    if (answer.error) {
      this._wanted = false;
      this._setStatus('disconnected', answer.error);
      return;
    }
    const url = new URL(answer.path, window.location.href);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    const ws = new WebSocket(url.href);
    ws.binaryType = 'arraybuffer';
    this._closeInfo = null;
    ws.addEventListener('close', (e) => { this._closeInfo = { code: e.code, reason: e.reason }; });
    this._ws = ws;
    const rfb = new RFB(this._screen, ws, { shared: true });
    rfb.scaleViewport = true;
    rfb.resizeSession = false;
    rfb.focusOnClick = true;
    rfb.addEventListener('connect', () => {
      this._attempts = 0;
      this._setStatus('connected', '');
      rfb.focus();
    });
    rfb.addEventListener('disconnect', () => this._onDisconnect(rfb));
    rfb.addEventListener('securityfailure', (e) => {
      this._closeInfo = { code: 4004, reason: e.detail.reason || 'security failure' };
    });
    this._rfb = rfb;
  }

  _onDisconnect(rfb) {
    if (rfb !== this._rfb) return;
    this._rfb = null;
    this._ws = null;
    const info = this._closeInfo || { code: 1006, reason: '' };
    const entry = this._closeCode(info.code);
    const text = info.reason || (entry ? entry.message : UNKNOWN_CODE_MESSAGE(info.code));
    if (!this._wanted) {
      this._setStatus('disconnected', 'Disconnected.', info.code);
      return;
    }
    if ((entry && entry.reconnect === false) || this._attempts >= MAX_ATTEMPTS) {
      this._wanted = false;
      this._setStatus('disconnected', text, info.code);
      return;
    }
    const delay = Math.min(500 * 2 ** Math.max(0, this._attempts - 1), 8000);
    this._setStatus('disconnected', `${text} Reconnecting…`, info.code);
    this._timer = setTimeout(() => { if (this._wanted) this.connect(); }, delay);
  }

  /** Drops the connection and stops reconnecting. */
  disconnect() {
    this._wanted = false;
    clearTimeout(this._timer);
    this._teardown();
    this._setStatus('disconnected', 'Disconnected.', 1000);
  }

  toggleFullscreen() {
    if (document.fullscreenElement) {
      document.exitFullscreen();
    } else {
      this.requestFullscreen().catch(() => {});
    }
  }

  _teardown() {
    const rfb = this._rfb;
    this._rfb = null;
    if (rfb) {
      try { rfb.disconnect(); } catch (e) { /* already closed */ }
    }
    if (this._ws && this._ws.readyState <= 1) {
      try { this._ws.close(1000); } catch (e) { /* ignore */ }
    }
    this._ws = null;
  }

  _setStatus(status, message, code) {
    this.setAttribute('status', status);
    if (code !== undefined) this.setAttribute('close-code', String(code)); else this.removeAttribute('close-code');
    this._state.dataset.status = status;
    this._state.textContent = status;
    this._overlay.hidden = status === 'connected';
    this._message.textContent = message;
    this._reconnectButton.hidden = !(status === 'disconnected' && !this._wanted);
    this.dispatchEvent(new CustomEvent('atrium-status', { detail: { status, reason: message } }));
  }
}

customElements.define('atrium-viewer', AtriumViewer);
