// The Atrium desktop viewer: noVNC in a custom element with a toolbar, a status overlay
// and automatic reconnect. Every connection attempt asks the server for a fresh
// single-use console ticket (this.$server.newConnection()).
//
// Besides the screen: the remote desktop follows the element's size (noVNC resizeSession; scaled when the guest
// cannot resize), the clipboard (noVNC's clipboard event and clipboardPasteFrom; with the async Clipboard API on
// Chromium, synced when the viewer gets the focus; a panel elsewhere), keyboard layouts (applied in the guest by
// the server; noVNC sends scancodes), Keyboard Lock in fullscreen, an extra-keys bar, and files (upload by drag and
// drop or a button, download from a list, with progress). What the pool allows is enforced on the server; the
// viewer only offers what it was told is allowed.
import RFB from '@novnc/novnc';

// What each close code means comes from the server (the gateway's GatewayStatus, the one table), as JSON
// {"4007": {"message": "...", "reconnect": false}, ...} in the closeCodes property. A code it lacks gets
// this generic message, and reconnecting is tried.
const UNKNOWN_CODE_MESSAGE = (code) => `Disconnected (code ${code}).`;
const MAX_ATTEMPTS = 8;
const LAYOUT_KEY = 'atrium.keyboardLayout';

// X keysyms and DOM codes of the extra keys (noVNC sends the code's scancode to QEMU).
const KEYS = {
  Escape: [0xff1b, 'Escape'], Tab: [0xff09, 'Tab'], Control: [0xffe3, 'ControlLeft'], Alt: [0xffe9, 'AltLeft'],
  Super: [0xffeb, 'MetaLeft'], Delete: [0xffff, 'Delete'],
};
const FKEY = (n) => [0xffbe + n - 1, `F${n}`];

/** The layout code for a browser language (navigator.language), or 'us'. */
export function layoutForLanguage(language) {
  const lang = (language || '').toLowerCase();
  const exact = { 'de-ch': 'ch-de', 'fr-ch': 'ch-fr', 'de-at': 'at', 'en-gb': 'gb', 'en-ie': 'gb', 'pt-br': 'br',
    'fr-be': 'be', 'nl-be': 'be', 'nb': 'no', 'nn': 'no', 'nb-no': 'no', 'nn-no': 'no', 'sv': 'se', 'da': 'dk',
    'cs': 'cz', 'uk': 'ua', 'el': 'gr', 'ja': 'jp', 'en': 'us', 'en-us': 'us' };
  if (exact[lang]) return exact[lang];
  const base = lang.split('-')[0];
  if (exact[base]) return exact[base];
  const same = ['de', 'fr', 'es', 'it', 'nl', 'pt', 'fi', 'pl', 'hu', 'ru', 'tr'];
  return same.includes(base) ? base : 'us';
}

const STYLE = `
  :host { display: flex; flex-direction: column; width: 100%; height: 100%; min-height: 240px;
          background: #1e1e1e; color: #eee; font-family: var(--lumo-font-family, sans-serif); position: relative; }
  .bar { display: flex; align-items: center; gap: 6px; padding: 4px 8px; background: #2b2b2b; flex: none; flex-wrap: wrap; }
  .bar .title { flex: 1; font-weight: 600; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
  .bar .state { font-size: 12px; padding: 2px 8px; border-radius: 10px; background: #555; }
  .bar .state[data-status=connected] { background: #1d7a3a; }
  .bar .state[data-status=connecting] { background: #8a6d00; }
  .bar .state[data-status=disconnected] { background: #8a1d1d; }
  button, select { background: #444; color: #eee; border: 1px solid #666; border-radius: 4px; padding: 4px 10px; cursor: pointer; font: inherit; font-size: 13px; }
  button:hover { background: #555; }
  button:disabled { opacity: .5; cursor: default; }
  button[aria-pressed=true] { background: #3a7bd5; border-color: #3a7bd5; }
  [hidden] { display: none !important; }
  .keys { display: flex; gap: 4px; padding: 4px 8px; background: #262626; flex: none; flex-wrap: wrap; }
  .panel { position: absolute; right: 8px; top: 44px; z-index: 20; width: min(420px, calc(100% - 16px)); background: #2b2b2b;
           border: 1px solid #555; border-radius: 6px; padding: 10px; display: flex; flex-direction: column; gap: 8px;
           box-shadow: 0 4px 16px rgba(0,0,0,.5); font-size: 13px; }
  .panel h3 { margin: 0; font-size: 14px; }
  .panel textarea { width: 100%; box-sizing: border-box; min-height: 90px; background: #1e1e1e; color: #eee; border: 1px solid #555; }
  .panel .row { display: flex; gap: 6px; align-items: center; flex-wrap: wrap; }
  .panel .note { color: #bbb; }
  .files { max-height: 200px; overflow: auto; display: flex; flex-direction: column; gap: 2px; }
  .file { display: flex; gap: 6px; align-items: center; justify-content: space-between; }
  .file .name { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
  progress { width: 100%; }
  .screen { flex: 1; position: relative; overflow: hidden; background: #000; }
  .screen.dropping::after { content: 'Drop to upload into the desktop'; position: absolute; inset: 0; z-index: 15;
           display: flex; align-items: center; justify-content: center; background: rgba(58,123,213,.35); font-size: 20px; }
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
    this._guestText = null;
    this._sentText = null;
    this._held = new Set();
    const root = this.attachShadow({ mode: 'open' });
    root.innerHTML = `<style>${STYLE}</style>
      <div class="bar" part="toolbar">
        <span class="title"></span>
        <span class="state" data-status="connecting">connecting</span>
        <select id="layout" title="Keyboard layout of the desktop" hidden></select>
        <button id="keys-toggle" title="Show keys the browser keeps for itself" aria-pressed="false">Keys</button>
        <button id="clipboard-toggle" title="Clipboard" aria-pressed="false">Clipboard</button>
        <button id="files-toggle" title="Move files in and out of the desktop" aria-pressed="false" hidden>Files</button>
        <button id="cad" title="Send Ctrl+Alt+Del to the desktop">Ctrl+Alt+Del</button>
        <button id="fullscreen" title="Fullscreen">Fullscreen</button>
        <button id="disconnect" title="Disconnect">Disconnect</button>
      </div>
      <div class="keys" part="keys" hidden>
        <button data-key="Escape">Esc</button><button data-key="Tab">Tab</button>
        <button data-sticky="Control" aria-pressed="false">Ctrl</button>
        <button data-sticky="Alt" aria-pressed="false">Alt</button>
        <button data-sticky="Super" aria-pressed="false">Win</button>
        <button id="keys-cad">Ctrl+Alt+Del</button>
        <select id="keys-fn" title="Ctrl+Alt+F-key">
          <option value="">Ctrl+Alt+F…</option>
          ${Array.from({ length: 12 }, (_, i) => `<option value="${i + 1}">Ctrl+Alt+F${i + 1}</option>`).join('')}
        </select>
      </div>
      <div class="panel clipboard" part="clipboard" hidden>
        <h3>Clipboard</h3>
        <div class="note" id="clipboard-note"></div>
        <textarea id="clipboard-text" spellcheck="false" placeholder="Text copied in the desktop appears here; type or paste text to send."></textarea>
        <div class="row"><button id="clipboard-send">Send to the desktop</button>
          <button id="clipboard-copy">Copy to this computer</button></div>
      </div>
      <div class="panel files-panel" part="files" hidden>
        <h3>Files</h3>
        <div class="note" id="files-note"></div>
        <div class="row"><button id="upload-button">Upload…</button><input id="upload-input" type="file" multiple hidden>
          <button id="files-refresh">Refresh</button></div>
        <progress id="transfer-progress" max="1" value="0" hidden></progress>
        <div class="note" id="transfer-status" role="status"></div>
        <div class="files" id="file-list"></div>
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
    this._layout = root.querySelector('#layout');
    this._keysBar = root.querySelector('.keys');
    this._clipPanel = root.querySelector('.panel.clipboard');
    this._clipText = root.querySelector('#clipboard-text');
    this._filesPanel = root.querySelector('.files-panel');
    this._progress = root.querySelector('#transfer-progress');
    this._transferStatus = root.querySelector('#transfer-status');
    root.querySelector('#cad').addEventListener('click', () => this._rfb && this._rfb.sendCtrlAltDel());
    root.querySelector('#fullscreen').addEventListener('click', () => this.toggleFullscreen());
    root.querySelector('#disconnect').addEventListener('click', () => this.disconnect());
    this._reconnectButton.addEventListener('click', () => { this._attempts = 0; this.connect(); });
    this._layout.addEventListener('change', () => {
      try { localStorage.setItem(LAYOUT_KEY, this._layout.value); } catch (e) { /* private mode */ }
      this._applyLayout();
    });
    this._wireKeys(root);
    this._wireClipboard(root);
    this._wireFiles(root);
    document.addEventListener('fullscreenchange', () => this._onFullscreenChange());
    this._onWindowFocus = () => this._syncClipboardToDesktop();
    this._screen.addEventListener('focusin', this._onWindowFocus);
  }

  connectedCallback() {
    this.shadowRoot.querySelector('.title').textContent = this.getAttribute('title-text') || 'Desktop';
    window.addEventListener('focus', this._onWindowFocus);
    // $server and the properties are set by Vaadin right after the element is created.
    setTimeout(() => { this._setUpOptions(); this.connect(); }, 0);
  }

  disconnectedCallback() {
    window.removeEventListener('focus', this._onWindowFocus);
    this._wanted = false;
    this._teardown();
  }

  /** The canvas noVNC draws into (for tests and screenshots). */
  get canvas() { return this._screen.querySelector('canvas'); }

  get status() { return this.getAttribute('status'); }

  _json(value, fallback) {
    if (typeof value !== 'string') return value || fallback;
    try { return JSON.parse(value); } catch (e) { return fallback; }
  }

  /** The server's entry for a close code: { message, reconnect }, or null if it has none. */
  _closeCode(code) {
    const table = this._json(this.closeCodes, null);
    const entry = table && table[String(code)];
    return entry && typeof entry.message === 'string' ? entry : null;
  }

  // ------------------------------------------------------------------ options from the server

  _setUpOptions() {
    const layouts = this._json(this.keyboardLayouts, []);
    if (layouts.length > 0) {
      this._layout.innerHTML = '';
      for (const l of layouts) {
        const o = document.createElement('option');
        o.value = l.code;
        o.textContent = l.name;
        this._layout.appendChild(o);
      }
      let wanted = null;
      try { wanted = localStorage.getItem(LAYOUT_KEY); } catch (e) { /* private mode */ }
      if (!wanted || !layouts.some((l) => l.code === wanted)) wanted = layoutForLanguage(navigator.language);
      if (!layouts.some((l) => l.code === wanted)) wanted = layouts[0].code;
      this._layout.value = wanted;
      this._layout.hidden = false;
    }
    const files = this._json(this.fileLimits, null);
    const filesToggle = this.shadowRoot.querySelector('#files-toggle');
    filesToggle.hidden = !(files && (files.upload || files.download));
    if (files) {
      const what = files.upload && files.download ? 'Upload files into' : files.upload ? 'Upload files into'
        : 'Download files from';
      this.shadowRoot.querySelector('#files-note').textContent =
        `${what} your folder ${files.folder} in the desktop (at most ${this._size(files.maxBytes)} each).`;
      this.shadowRoot.querySelector('#upload-button').hidden = !files.upload;
    }
    const clip = this._json(this.clipboardPolicy, { toDesktop: true, fromDesktop: true });
    const note = [];
    if (!clip.toDesktop) note.push('Text cannot be sent to this desktop.');
    if (!clip.fromDesktop) note.push('Text copied in this desktop stays there.');
    if (clip.toDesktop && clip.fromDesktop) {
      note.push(this._asyncClipboard() ? 'The clipboard follows this computer\u2019s when the desktop has the focus.'
        : 'Copy and paste through this panel.');
    }
    this.shadowRoot.querySelector('#clipboard-note').textContent = note.join(' ');
    this.shadowRoot.querySelector('#clipboard-send').disabled = !clip.toDesktop;
  }

  // ------------------------------------------------------------------ connection

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
    // Ask the guest for the element's size (it applies it if it can, e.g. the X desktop); scale otherwise.
    rfb.resizeSession = true;
    rfb.scaleViewport = true;
    rfb.focusOnClick = true;
    rfb.addEventListener('connect', () => {
      this._attempts = 0;
      this._setStatus('connected', '');
      rfb.focus();
      this._applyLayout();
      this._syncClipboardToDesktop();
    });
    rfb.addEventListener('disconnect', () => this._onDisconnect(rfb));
    rfb.addEventListener('securityfailure', (e) => {
      this._closeInfo = { code: 4004, reason: e.detail.reason || 'security failure' };
    });
    rfb.addEventListener('clipboard', (e) => this._onGuestClipboard(e.detail.text));
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

  // ------------------------------------------------------------------ keyboard

  async _applyLayout() {
    if (!this._rfb || this._layout.hidden || !this._layout.value) return;
    const code = this._layout.value;
    let answer;
    try {
      answer = JSON.parse(await this.$server.setKeyboardLayout(code));
    } catch (e) {
      answer = { error: 'The keyboard layout could not be set.' };
    }
    if (answer.result === 'applied') {
      this.setAttribute('keyboard-layout', code);
      this._layout.title = 'Keyboard layout of the desktop';
    } else if (answer.result === 'unsupported') {
      this.setAttribute('keyboard-layout', 'desktop');
      this._layout.title = 'This desktop keeps its own keyboard layout';
      this._layout.disabled = true;
    } else {
      this.removeAttribute('keyboard-layout');
      this._layout.title = answer.error || 'The keyboard layout could not be set';
    }
  }

  _wireKeys(root) {
    const toggle = root.querySelector('#keys-toggle');
    toggle.addEventListener('click', () => {
      this._keysBar.hidden = !this._keysBar.hidden;
      toggle.setAttribute('aria-pressed', String(!this._keysBar.hidden));
    });
    for (const b of root.querySelectorAll('.keys [data-key]')) {
      b.addEventListener('click', () => { this._tap(KEYS[b.dataset.key]); this._releaseSticky(root); });
    }
    for (const b of root.querySelectorAll('.keys [data-sticky]')) {
      b.addEventListener('click', () => {
        const name = b.dataset.sticky;
        const [keysym, code] = KEYS[name];
        const down = !this._held.has(name);
        if (!this._rfb) return;
        this._rfb.sendKey(keysym, code, down);
        if (down) this._held.add(name); else this._held.delete(name);
        b.setAttribute('aria-pressed', String(down));
        if (this._rfb) this._rfb.focus();
      });
    }
    root.querySelector('#keys-cad').addEventListener('click', () => this._rfb && this._rfb.sendCtrlAltDel());
    const fn = root.querySelector('#keys-fn');
    fn.addEventListener('change', () => {
      const n = Number(fn.value);
      fn.value = '';
      if (!n || !this._rfb) return;
      this._chord([KEYS.Control, KEYS.Alt], FKEY(n));
    });
  }

  _tap([keysym, code]) {
    if (!this._rfb) return;
    this._rfb.sendKey(keysym, code, true);
    this._rfb.sendKey(keysym, code, false);
    this._rfb.focus();
  }

  _chord(modifiers, key) {
    for (const [s, c] of modifiers) this._rfb.sendKey(s, c, true);
    this._tap(key);
    for (const [s, c] of [...modifiers].reverse()) this._rfb.sendKey(s, c, false);
  }

  _releaseSticky(root) {
    for (const name of [...this._held]) {
      const [keysym, code] = KEYS[name];
      if (this._rfb) this._rfb.sendKey(keysym, code, false);
      this._held.delete(name);
      root.querySelector(`.keys [data-sticky=${name}]`).setAttribute('aria-pressed', 'false');
    }
  }

  toggleFullscreen() {
    if (document.fullscreenElement) {
      document.exitFullscreen();
    } else {
      this.requestFullscreen().catch(() => {});
    }
  }

  /** In fullscreen, Keyboard Lock (where the browser has it) sends Esc, Alt+Tab, Ctrl+W to the desktop. */
  _onFullscreenChange() {
    const kb = navigator.keyboard;
    if (document.fullscreenElement === this) {
      if (kb && kb.lock) kb.lock().then(() => this.setAttribute('keyboard-lock', 'on')).catch(() => {});
    } else {
      if (kb && kb.unlock) kb.unlock();
      this.removeAttribute('keyboard-lock');
    }
  }

  // ------------------------------------------------------------------ clipboard

  /** The async Clipboard API, used on Chromium (elsewhere reading needs a prompt each time: the panel is used). */
  _asyncClipboard() {
    return !!(window.isSecureContext && navigator.clipboard && navigator.clipboard.readText
      && navigator.clipboard.writeText && /Chrom(e|ium)\//.test(navigator.userAgent));
  }

  _wireClipboard(root) {
    const toggle = root.querySelector('#clipboard-toggle');
    toggle.addEventListener('click', () => {
      this._clipPanel.hidden = !this._clipPanel.hidden;
      this._filesPanel.hidden = true;
      toggle.setAttribute('aria-pressed', String(!this._clipPanel.hidden));
    });
    root.querySelector('#clipboard-send').addEventListener('click', () => {
      const text = this._clipText.value;
      if (this._rfb && text) {
        this._rfb.clipboardPasteFrom(text);
        this._sentText = text;
      }
    });
    root.querySelector('#clipboard-copy').addEventListener('click', () => {
      this._clipText.select();
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(this._clipText.value).catch(() => document.execCommand('copy'));
      } else {
        document.execCommand('copy');
      }
    });
  }

  /** Text copied in the desktop: into the browser's clipboard where the page may write it, and into the panel. */
  _onGuestClipboard(text) {
    this._guestText = text;
    this._sentText = text;
    this._clipText.value = text;
    this.setAttribute('guest-clipboard', String(text.length));
    if (this._asyncClipboard()) {
      navigator.clipboard.writeText(text).catch(() => { /* not focused or not allowed: the panel has it */ });
    }
    this.dispatchEvent(new CustomEvent('atrium-clipboard', { detail: { length: text.length } }));
  }

  /** When the viewer gets the focus on Chromium: the browser's clipboard text goes to the desktop, if it changed. */
  async _syncClipboardToDesktop() {
    if (!this._rfb || !this._asyncClipboard()) return;
    const clip = this._json(this.clipboardPolicy, { toDesktop: true });
    if (!clip.toDesktop) return;
    let text;
    try {
      text = await navigator.clipboard.readText();
    } catch (e) {
      return; // no permission: the panel is there
    }
    if (!this._rfb || !text || text === this._sentText || text === this._guestText) return;
    this._rfb.clipboardPasteFrom(text);
    this._sentText = text;
    this.setAttribute('sent-clipboard', String(text.length));
  }

  // ------------------------------------------------------------------ files

  _wireFiles(root) {
    const toggle = root.querySelector('#files-toggle');
    toggle.addEventListener('click', () => {
      this._filesPanel.hidden = !this._filesPanel.hidden;
      this._clipPanel.hidden = true;
      toggle.setAttribute('aria-pressed', String(!this._filesPanel.hidden));
      if (!this._filesPanel.hidden) this.refreshFiles();
    });
    root.querySelector('#files-refresh').addEventListener('click', () => this.refreshFiles());
    const input = root.querySelector('#upload-input');
    root.querySelector('#upload-button').addEventListener('click', () => input.click());
    input.addEventListener('change', () => { this.uploadFiles([...input.files]); input.value = ''; });
    const screen = this._screen;
    const allowed = () => { const f = this._json(this.fileLimits, null); return f && f.upload; };
    screen.addEventListener('dragover', (e) => {
      if (!allowed() || !e.dataTransfer || ![...e.dataTransfer.types].includes('Files')) return;
      e.preventDefault();
      e.dataTransfer.dropEffect = 'copy';
      screen.classList.add('dropping');
    });
    screen.addEventListener('dragleave', () => screen.classList.remove('dropping'));
    screen.addEventListener('drop', (e) => {
      screen.classList.remove('dropping');
      if (!allowed() || !e.dataTransfer || e.dataTransfer.files.length === 0) return;
      e.preventDefault();
      this._filesPanel.hidden = false;
      this._clipPanel.hidden = true;
      this.uploadFiles([...e.dataTransfer.files]);
    });
  }

  _size(n) {
    if (n >= 1 << 30) return `${(n / (1 << 30)).toFixed(1)} GiB`;
    if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(1)} MiB`;
    if (n >= 1024) return `${(n / 1024).toFixed(1)} KiB`;
    return `${n} bytes`;
  }

  _setTransfer(text, done, total, state) {
    this._transferStatus.textContent = text;
    this._progress.hidden = total === null;
    if (total !== null) {
      this._progress.max = Math.max(1, total);
      this._progress.value = Math.min(done, total);
    }
    this.setAttribute('transfer', state);
  }

  /** Lists the user's folder in the desktop (also for tests: resolves to the list). */
  async refreshFiles() {
    const list = this.shadowRoot.querySelector('#file-list');
    let answer;
    try {
      answer = JSON.parse(await this.$server.listFiles());
    } catch (e) {
      answer = { error: 'The files could not be listed.' };
    }
    list.innerHTML = '';
    if (answer.error) {
      list.textContent = answer.error;
      return [];
    }
    const limits = this._json(this.fileLimits, {});
    if (answer.files.length === 0) list.textContent = 'No files yet.';
    for (const f of answer.files) {
      const row = document.createElement('div');
      row.className = 'file';
      row.dataset.name = f.name;
      const name = document.createElement('span');
      name.className = 'name';
      name.textContent = `${f.name} (${this._size(f.size)})`;
      row.appendChild(name);
      if (limits.download) {
        const b = document.createElement('button');
        b.textContent = 'Download';
        b.className = 'download';
        b.addEventListener('click', () => this.downloadFile(f.name, f.size));
        row.appendChild(b);
      }
      list.appendChild(row);
    }
    return answer.files;
  }

  /** Uploads the files one after the other, with progress. */
  async uploadFiles(files) {
    const target = this.getAttribute('upload-target');
    const limits = this._json(this.fileLimits, {});
    if (!target) return;
    for (const file of files) {
      if (limits.maxBytes && file.size > limits.maxBytes) {
        this._setTransfer(`${file.name} is larger than this desktop takes (${this._size(limits.maxBytes)}).`, 0, null,
          'refused');
        continue;
      }
      const ok = await new Promise((resolve) => {
        const xhr = new XMLHttpRequest();
        xhr.open('POST', new URL(target, document.baseURI).href);
        xhr.setRequestHeader('Content-Type', 'application/octet-stream');
        xhr.setRequestHeader('X-Atrium-File-Name', encodeURIComponent(file.name));
        xhr.upload.onprogress = (e) => this._setTransfer(`Uploading ${file.name}: ${this._size(e.loaded)} of `
          + `${this._size(file.size)}`, e.loaded, file.size, 'uploading');
        xhr.onload = () => {
          let body = {};
          try { body = JSON.parse(xhr.responseText); } catch (e) { /* not JSON */ }
          if (xhr.status === 200) {
            this._setTransfer(`${file.name} is in the desktop (${this._size(body.bytes)}).`, file.size, file.size, 'uploaded');
            resolve(true);
          } else {
            this._setTransfer(body.error || `The upload of ${file.name} failed.`, 0, null, 'failed');
            resolve(false);
          }
        };
        xhr.onerror = () => { this._setTransfer(`The upload of ${file.name} failed.`, 0, null, 'failed'); resolve(false); };
        this._setTransfer(`Uploading ${file.name}…`, 0, file.size, 'uploading');
        xhr.send(file);
      });
      if (!ok) break;
    }
    this.refreshFiles();
  }

  /** Downloads a file of the user's folder with progress, then hands it to the browser. */
  async downloadFile(name, size) {
    const target = this.getAttribute('download-target');
    if (!target) return;
    const url = new URL(target, document.baseURI);
    url.searchParams.set('name', name);
    this._setTransfer(`Downloading ${name}…`, 0, size, 'downloading');
    let response;
    try {
      response = await fetch(url.href, { credentials: 'same-origin' });
    } catch (e) {
      this._setTransfer(`The download of ${name} failed.`, 0, null, 'failed');
      return;
    }
    if (!response.ok) {
      let body = {};
      try { body = await response.json(); } catch (e) { /* not JSON */ }
      this._setTransfer(body.error || `The download of ${name} failed.`, 0, null, 'failed');
      return;
    }
    const reader = response.body.getReader();
    const chunks = [];
    let received = 0;
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        chunks.push(value);
        received += value.length;
        this._setTransfer(`Downloading ${name}: ${this._size(received)} of ${this._size(size)}`, received, size,
          'downloading');
      }
    } catch (e) {
      this._setTransfer(`The download of ${name} broke off.`, 0, null, 'failed');
      return;
    }
    if (received !== size) {
      this._setTransfer(`The download of ${name} is incomplete.`, 0, null, 'failed');
      return;
    }
    const blob = new Blob(chunks, { type: 'application/octet-stream' });
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = name;
    this.shadowRoot.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 60000);
    this._setTransfer(`${name} downloaded (${this._size(received)}).`, received, size, 'downloaded');
  }

  // ------------------------------------------------------------------ state

  _teardown() {
    const rfb = this._rfb;
    this._rfb = null;
    this._held.clear();
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
