// Run page helpers (Components/Pages/Run/RunPage.razor): code kept across reloads, output auto-scroll, theme.

const saveTimers = new Map();

function findEditor(editorId) {
  if (!window.monaco) return null;
  return monaco.editor.getEditors().find(e => e.getContainerDomNode().id === editorId
    || e.getContainerDomNode().closest('#' + CSS.escape(editorId))) || null;
}

/** The code saved for this user, or null. */
export function loadCode(key) {
  try { return localStorage.getItem(key); } catch { return null; }
}

export function saveCode(key, code) {
  try { localStorage.setItem(key, code); } catch { /* storage full or disabled: the editor still works */ }
}

/** Saves the editor's code to localStorage shortly after every change, so a reload keeps it. */
export function persistEditor(editorId, key) {
  const editor = findEditor(editorId);
  if (!editor) return false;
  editor.onDidChangeModelContent(() => {
    clearTimeout(saveTimers.get(key));
    saveTimers.set(key, setTimeout(() => saveCode(key, editor.getValue()), 250));
  });
  return true;
}

/**
 * Replaces the editor's whole text as one undo step (the assistant's "apply"). Here rather than through BlazorMonaco's
 * TextModel, whose calls go through a JS runtime shared by every circuit (whoever created an editor last).
 */
export function replaceCode(editorId, text) {
  const editor = findEditor(editorId);
  if (!editor) return false;
  editor.pushUndoStop();
  editor.executeEdits('ai-assistant', [{ range: editor.getModel().getFullModelRange(), text, forceMoveMarkers: true }]);
  editor.pushUndoStop();
  return true;
}

export function prefersDark() {
  return window.matchMedia && window.matchMedia('(prefers-color-scheme: dark)').matches;
}

export function getPreference(key) {
  try { return localStorage.getItem(key); } catch { return null; }
}

export function setPreference(key, value) {
  try { localStorage.setItem(key, value); } catch { /* ignore */ }
}

/**
 * Keeps the output panel scrolled to the bottom while new output arrives, unless the user scrolled up
 * to read; scrolling back to the bottom resumes following.
 */
export function followOutput(element) {
  if (!element || element.dataset.follow) return;
  element.dataset.follow = 'on';
  let stick = true;
  element.addEventListener('scroll', () => {
    stick = element.scrollTop + element.clientHeight >= element.scrollHeight - 24;
  }, { passive: true });
  new MutationObserver(() => {
    if (stick) element.scrollTop = element.scrollHeight;
  }).observe(element, { childList: true, subtree: true, characterData: true });
}

export function focusElement(element) {
  if (element) element.focus();
}
