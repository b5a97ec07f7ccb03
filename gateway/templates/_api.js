// The token arrives in the fragment (#token=…), which browsers never send to a server. It is kept for
// this tab only and taken out of the address bar, so it is neither bookmarked nor shared by mistake.
function takeToken(key) {
  const found = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (found) {
    sessionStorage.setItem(key, decodeURIComponent(found[1]));
    history.replaceState(null, "", location.pathname);
  }
  return sessionStorage.getItem(key);
}

// One API call: JSON in and out; an error carries the HTTP status, the problem's detail and its errors by
// field (problem+json ``errors``), if any.
async function call(token, method, path, body) {
  const init = { method: method, headers: { Accept: "application/json" } };
  if (token) init.headers.Authorization = "Bearer " + token;
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch("/api/v1" + path, init);
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    const error = new Error(data.detail || response.statusText);
    error.status = response.status;
    error.errors = data.errors || {};
    throw error;
  }
  return data;
}

// A message of the page, in its language, shown in ``element``.
function say(element, text) {
  element.textContent = text;
}

// A phrase with its {name} placeholders filled in: phrase("{n} left", { n: 2 }) is "2 left".
function phrase(text, values) {
  return text.replace(/\{(\w+)\}/g, (found, name) => (name in values ? String(values[name]) : found));
}
