// The door's page with JavaScript (console_check_in.html). Every code, typed or read from a QR code, is
// first kept in localStorage with its own idempotency key, then sent: the form's POST through fetch, with
// the page's CSRF token and session cookie, answered in JSON. When the network or the server does not
// answer, the codes stay kept (the page says how many) and go when the browser is back online, on a
// timer, or when the page is opened again; a code sent twice with its key is checked in once and answered
// as the first time. Without JavaScript none of this runs: the form posts and the page answers.

// The attendee code a QR code holds, or null: the notification service's QR code (services/notification/
// qr.py) holds exactly the code, as the check-in schema takes it (4 to 32 letters, digits or dashes).
function attendeeCode(text) {
  const found = /^\s*([A-Za-z0-9-]{4,32})\s*$/.exec(typeof text === "string" ? text : "");
  return found ? found[1].toUpperCase() : null;
}

function checkIn(page) {
  "use strict";
  const RETRY_EVERY = 10000; // ms between two tries while codes wait
  const PATIENCE = 8000; // ms before an unanswered request counts as lost (its code stays kept)
  const STORE = "odt-check-in:" + page.forum;
  const $ = (id) => document.getElementById(id);
  const form = $("check-in"), input = $("code"), region = $("outcome"), pending = $("pending");
  const sendNow = $("send-now");
  const csrf = form.elements.csrf.value;
  let memory = []; // where codes wait if localStorage is refused (a private window, say)
  let sending = false, again = false, blocked = false;

  function waiting() {
    try {
      const kept = JSON.parse(localStorage.getItem(STORE) || "[]");
      return Array.isArray(kept) ? kept : [];
    } catch (error) {
      return memory;
    }
  }

  function keep(items) {
    memory = items;
    try {
      if (items.length) localStorage.setItem(STORE, JSON.stringify(items));
      else localStorage.removeItem(STORE);
    } catch (error) {
      // kept in memory only: this page must stay open until they are sent
    }
  }

  function newKey() {
    const bytes = crypto.getRandomValues(new Uint8Array(16)); // crypto.randomUUID needs https
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join("-");
  }

  function count() {
    const n = waiting().length;
    const text = n ? page.words.pending.replace("{count}", n) : "";
    if (pending.textContent !== text) pending.textContent = text;
    sendNow.hidden = n === 0;
  }

  // One outcome as the page without JavaScript shows it: a box whose words say what happened.
  function box(kind, text, link) {
    const made = document.createElement("div");
    made.className = "outcome " + ({ checked_in: "done", already: "already", waiting: "waiting" }[kind] || "refused");
    const words = document.createElement("p");
    words.textContent = text;
    if (link) {
      const a = document.createElement("a");
      a.href = link.href;
      a.textContent = link.text;
      words.append(" ", a);
    }
    made.append(words);
    return made;
  }

  // The server's words for an outcome: its HTML (escaped by the template) read inertly, as text.
  function serverWords(html) {
    const inert = document.createElement("template");
    inert.innerHTML = html || "";
    return inert.content.textContent.replace(/\s+/g, " ").trim();
  }

  function show(boxes, adding) {
    if (adding) region.append(...boxes);
    else region.replaceChildren(...boxes);
  }

  // What the server made of one code: {outcome, html, ...}, or null when it could not be asked (no
  // network, no answer in time, a server in trouble or too busy): the code is then kept for later.
  async function send(item) {
    const stop = new AbortController();
    const timer = setTimeout(() => stop.abort(), PATIENCE);
    try {
      const response = await fetch(form.action, {
        method: "POST",
        headers: { Accept: "application/json" },
        body: new URLSearchParams({ csrf: csrf, code: item.code, idempotency_key: item.key }),
        credentials: "same-origin",
        signal: stop.signal,
      });
      const answer = await response.json().catch(() => null);
      if (answer && typeof answer.outcome === "string") return answer;
      if (response.status >= 500 || response.status === 429) return null; // worth trying again later
      return { outcome: "failed", status: response.status }; // refused for good: trying again would not help
    } catch (error) {
      return null;
    } finally {
      clearTimeout(timer);
    }
  }

  // Send the kept codes, oldest first, until one cannot be sent; each answer is shown as it comes.
  async function flush(scanned) {
    if (sending) {
      again = scanned || again || true; // once this round ends, another (showing this scan's fate)
      return;
    }
    sending = true;
    blocked = false;
    let first = true;
    const say = (made) => {
      show([made], !first);
      first = false;
    };
    try {
      for (const item of waiting()) {
        const answer = await send(item);
        if (answer === null) {
          if (scanned && waiting().some((kept) => kept.key === scanned.key)) {
            say(box("waiting", page.words.offline.replace("{code}", scanned.code)));
          }
          break;
        }
        if (answer.outcome === "signed_out" || answer.outcome === "expired") {
          blocked = true; // tried again once the organiser has signed in or reloaded
          const signedOut = answer.outcome === "signed_out";
          say(box("refused", page.words[answer.outcome], {
            href: signedOut ? answer.sign_in : location.pathname,
            text: signedOut ? page.words.sign_in : page.words.reload,
          }));
          break;
        }
        keep(waiting().filter((kept) => kept.key !== item.key)); // re-read: another tab may have added some
        const text = {
          no_forum: () => page.words.no_forum.replace("{code}", item.code),
          failed: () => page.words.failed.replace("{code}", item.code).replace("{status}", answer.status),
        }[answer.outcome];
        say(box(answer.outcome, text ? text() : serverWords(answer.html)));
        count();
      }
    } finally {
      sending = false;
      count();
    }
    if (again) {
      const next = again;
      again = false;
      flush(next === true ? undefined : next);
    }
  }

  function scan(code) {
    const item = { code: code, key: newKey(), at: new Date().toISOString() };
    keep(waiting().concat([item])); // kept before it is sent: a page closed meanwhile loses nothing
    count();
    flush(item);
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const code = attendeeCode(input.value);
    input.setAttribute("aria-describedby", "outcome code-hint");
    if (!code) {
      show([box("malformed", page.words.malformed)]);
      input.setAttribute("aria-invalid", "true");
      input.focus();
      return;
    }
    input.removeAttribute("aria-invalid");
    input.value = ""; // ready for the next one, even before this one is answered
    input.focus();
    scan(code);
  });
  sendNow.querySelector("button").addEventListener("click", () => flush());
  window.addEventListener("online", () => flush());
  setInterval(() => {
    if (!blocked && !sending && waiting().length) flush();
  }, RETRY_EVERY);
  window.addEventListener("storage", (event) => {
    if (event.key === STORE) count();
  });
  count();
  if (waiting().length) flush();
  camera(scan, show, box, page.words);
}

// The camera, where the browser can read QR codes (BarcodeDetector) and open a camera (getUserMedia);
// elsewhere its button stays hidden and the code is typed.
async function camera(scan, show, box, words) {
  "use strict";
  const $ = (id) => document.getElementById(id);
  if (!("BarcodeDetector" in window) || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) return;
  try {
    if (!(await BarcodeDetector.getSupportedFormats()).includes("qr_code")) return;
  } catch (error) {
    return;
  }
  const detector = new BarcodeDetector({ formats: ["qr_code"] });
  const start = $("camera-start"), stop = $("camera-stop"), view = $("camera-view"), video = $("viewfinder");
  const SAME_CODE_AGAIN = 4000; // ms a code must leave the camera before it counts again
  let stream = null, timer = null, looking = false, last = null, lastSeen = 0;

  async function look() {
    if (looking || video.readyState < 2) return;
    looking = true;
    try {
      for (const found of await detector.detect(video)) {
        const now = Date.now(), seenBefore = found.rawValue === last && now - lastSeen < SAME_CODE_AGAIN;
        last = found.rawValue;
        lastSeen = now;
        if (seenBefore) continue; // still in front of the camera
        const code = attendeeCode(found.rawValue);
        if (code) scan(code);
        else show([box("refused", words.not_a_code)]);
      }
    } catch (error) {
      // a frame the detector could not read: the next one will do
    } finally {
      looking = false;
    }
  }

  function halt(focus) {
    clearInterval(timer);
    if (stream) stream.getTracks().forEach((track) => track.stop());
    stream = null;
    video.srcObject = null;
    view.hidden = true;
    start.hidden = false;
    if (focus) start.focus();
  }

  start.addEventListener("click", async () => {
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
      video.srcObject = stream;
      await video.play();
    } catch (error) {
      halt(false);
      show([box("refused", words.no_camera)]);
      return;
    }
    view.hidden = false;
    start.hidden = true;
    stop.focus();
    timer = setInterval(look, 250);
  });
  stop.addEventListener("click", () => halt(true));
  window.addEventListener("pagehide", () => halt(false));
  $("camera").hidden = false;
}
