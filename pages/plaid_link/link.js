// Plaid Link in the browser (see pages/_plaid_link.py for the protocol with Python).
// The __NAME__ placeholders are filled by pages/_plaid_link.py with our own constants, each a
// JSON literal, when the module is imported.
// Module-level variables live once per page load (the module is imported once), so the CDN
// script is requested once however often the component mounts or reruns.
const PLAID_SRC = __PLAID_SRC__;
const LOAD_TIMEOUT_MS = 20000;
const LOAD_FAILED_TEXT = __LOAD_FAILED_TEXT__;
const RETURN_LOST_TEXT = __RETURN_LOST_TEXT__;
const OAUTH_KEY = __OAUTH_KEY__;
const OAUTH_MAX_AGE_MS = __OAUTH_MAX_AGE_MS__;

let plaidLoading = null;
const loadFailureReported = new Set();
const autoOpened = new Set();
const instances = new WeakMap();
// What this page load was given to finish an OAuth return: read once, because a later run
// draws the component again after the entry may already be gone (and the URL cleaned).
let oauthReturn = null;

function plaidReady() {
  const plaid = window.Plaid;
  return plaid && typeof plaid.create === "function" ? plaid : null;
}

function loadPlaid() {
  const ready = plaidReady();
  if (ready) {
    return Promise.resolve(ready);
  }
  if (plaidLoading) {
    return plaidLoading;
  }
  plaidLoading = new Promise((resolve, reject) => {
    const script = document.createElement("script");
    let settled = false;
    const finish = (ok) => {
      if (settled) {
        return;
      }
      settled = true;
      clearTimeout(timer);
      const plaid = plaidReady();
      if (ok && plaid) {
        resolve(plaid);
        return;
      }
      // Forget the failed attempt so that a click can try again.
      script.remove();
      plaidLoading = null;
      reject(new Error("Plaid Link script unavailable"));
    };
    const timer = setTimeout(() => finish(false), LOAD_TIMEOUT_MS);
    script.src = PLAID_SRC;
    script.async = true;
    script.addEventListener("load", () => finish(true));
    script.addEventListener("error", () => finish(false));
    document.head.appendChild(script);
  });
  return plaidLoading;
}

// The return from an OAuth bank loads the app anew (a new Streamlit session), so the link
// token it must reopen Link with is kept in this browser's localStorage while the person is
// at the bank: localStorage rather than sessionStorage, because on a phone the bank's app can
// send the person back in a new tab. The entry expires, and goes as soon as Link ends.
function storage() {
  try {
    return window.localStorage || null;
  } catch (ignored) {
    return null;  // storage disabled by the browser's settings
  }
}

function readRemembered() {
  const store = storage();
  if (!store) {
    return null;
  }
  let entry = null;
  try {
    entry = JSON.parse(store.getItem(OAUTH_KEY) || "null");
  } catch (ignored) {
    entry = null;
  }
  const age = entry && typeof entry.saved_at === "number" ? Date.now() - entry.saved_at : -1;
  if (!entry || typeof entry.token !== "string" || !entry.token
      || age < 0 || age > OAUTH_MAX_AGE_MS) {
    try { store.removeItem(OAUTH_KEY); } catch (ignored) { /* nothing to remove */ }
    return null;
  }
  return entry.token;
}

function remember(token) {
  const store = storage();
  try {
    if (store) {
      store.setItem(OAUTH_KEY, JSON.stringify({ token: token, saved_at: Date.now() }));
    }
  } catch (ignored) { /* full or disabled: an OAuth bank then cannot be finished */ }
}

function forget(token) {
  // Only our own entry: another tab may be at its bank with a token of its own.
  if (readRemembered() === token) {
    try { storage().removeItem(OAUTH_KEY); } catch (ignored) { /* already gone */ }
  }
}

function takeOAuthReturn() {
  if (!oauthReturn) {
    oauthReturn = { token: readRemembered() || "", url: window.location.href, lost: false };
  }
  return oauthReturn;
}

function newEventId() {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function text(value) {
  return typeof value === "string" ? value : null;
}

function pickInstitution(institution) {
  if (!institution || typeof institution !== "object") {
    return null;
  }
  return { name: text(institution.name), institution_id: text(institution.institution_id) };
}

function pickAccount(account) {
  return {
    id: text(account.id),
    name: text(account.name),
    mask: text(account.mask),
    type: text(account.type),
    subtype: text(account.subtype),
  };
}

function pickError(error) {
  if (!error || typeof error !== "object") {
    return null;
  }
  return {
    error_code: text(error.error_code),
    error_type: text(error.error_type),
    display_message: text(error.display_message),
  };
}

export default function (component) {
  const { data, parentElement, setTriggerValue } = component;
  const button = parentElement.querySelector(".plaid-link__button");
  const status = parentElement.querySelector(".plaid-link__status");
  if (!button || !status) {
    return undefined;
  }
  const resuming = Boolean(data && data.resume === true);
  const back = resuming ? takeOAuthReturn() : null;
  const token = back ? back.token : (data && typeof data.token === "string" ? data.token : "");
  // Plaid checks this against the redirect URI of the link token: the page's own full URL
  // (this script runs in the app's page, not in an iframe), oauth_state_id included.
  const redirectUri = back ? back.url : "";
  const remembers = resuming || Boolean(data && data.remember_for_oauth === true);
  if (!resuming) {
    readRemembered();  // drops an expired entry left by a Link session that never ended
  }
  button.textContent = data && typeof data.label === "string" ? data.label : "Connect a bank";

  let state = instances.get(parentElement);
  if (!state) {
    state = { generation: 0, handler: null, open: false, token: null };
    instances.set(parentElement, state);
  }
  const generation = ++state.generation;
  const current = () => state.generation === generation;
  if (state.handler && state.token !== token) {
    try { state.handler.destroy(); } catch (ignored) { /* already gone */ }
    state.handler = null;
    state.open = false;
  }
  state.token = token;

  const setStatus = (message, kind) => {
    status.textContent = message;
    status.dataset.kind = kind || "";
  };
  const send = (payload) => {
    setTriggerValue("event", Object.assign({ event_id: newEventId() }, payload));
  };

  const reportLoadFailure = () => {
    state.open = false;
    button.disabled = false;
    setStatus(LOAD_FAILED_TEXT, "error");
    // Once per page load and token: a remount (the caller showing st.error above us moves
    // the component) must not report again and start a rerun loop. A click retries.
    if (!loadFailureReported.has(token)) {
      loadFailureReported.add(token);
      send({ type: "load_error" });
    }
  };

  const openLink = (Plaid) => {
    if (!current() || state.open) {
      return;
    }
    if (state.handler) {
      try { state.handler.destroy(); } catch (ignored) { /* already gone */ }
      state.handler = null;
    }
    const config = {
      token: token,
      onSuccess: (publicToken, metadata) => {
        state.open = false;
        button.disabled = false;
        if (remembers) {
          forget(token);
        }
        const meta = metadata && typeof metadata === "object" ? metadata : {};
        const institution = pickInstitution(meta.institution);
        const accounts = Array.isArray(meta.accounts)
          ? meta.accounts.filter((a) => a && typeof a === "object").map(pickAccount) : [];
        setStatus(institution && institution.name
          ? "Connected: " + institution.name : "Connected.", "success");
        send({
          type: "success",
          public_token: text(publicToken),
          metadata: {
            institution: institution,
            accounts: accounts,
            link_session_id: text(meta.link_session_id),
          },
        });
      },
      onExit: (error, metadata) => {
        state.open = false;
        button.disabled = false;
        if (remembers) {
          forget(token);
        }
        const meta = metadata && typeof metadata === "object" ? metadata : {};
        const picked = pickError(error);
        if (picked) {
          setStatus(picked.display_message || "Plaid Link closed with an error.", "error");
        } else {
          setStatus("Plaid Link closed.", "");
        }
        send({
          type: "exit",
          error: picked,
          metadata: {
            link_session_id: text(meta.link_session_id),
            status: text(meta.status),
            institution: pickInstitution(meta.institution),
          },
        });
      },
    };
    if (redirectUri) {
      config.receivedRedirectUri = redirectUri;
    }
    let handler;
    try {
      handler = Plaid.create(config);
    } catch (ignored) {
      reportLoadFailure();
      return;
    }
    state.handler = handler;
    state.open = true;
    button.disabled = true;
    setStatus(resuming ? "Finishing the connection with your bank…" : "", "");
    if (remembers && !resuming) {
      remember(token);  // before Link can leave the page for an OAuth bank
    }
    handler.open();
  };

  button.onclick = () => {
    if (state.open || !token) {
      return;
    }
    button.disabled = true;
    setStatus("Opening Plaid Link…", "");
    loadPlaid().then(openLink, () => {
      if (current()) {
        loadFailureReported.delete(token);
        reportLoadFailure();
      }
    });
  };

  if (!token && back) {
    button.disabled = true;
    setStatus(RETURN_LOST_TEXT, "error");
    if (!back.lost) {
      back.lost = true;
      send({ type: "oauth_return_lost" });
    }
    return undefined;
  }
  if (!token) {
    button.disabled = true;
    setStatus("Plaid Link is not available: no link token.", "error");
    return undefined;
  }
  if (!state.open) {
    button.disabled = true;
  }
  loadPlaid().then(
    (Plaid) => {
      if (!current()) {
        return;
      }
      if (!state.open) {
        button.disabled = false;
      }
      // Back from an OAuth bank: reopen Link at once, but only once per page load.
      if (resuming && !autoOpened.has(token)) {
        autoOpened.add(token);
        openLink(Plaid);
      }
    },
    () => {
      if (current()) {
        reportLoadFailure();
      }
    },
  );

  return () => {
    state.generation += 1;
    if (state.handler) {
      try { state.handler.destroy(); } catch (ignored) { /* already gone */ }
      state.handler = null;
    }
    state.open = false;
  };
}
