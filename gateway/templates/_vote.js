// The vote page: the round and the forum's topics from the API, a form for the round's method, the ballot
// PUT with the token of the emailed link (only ever in the Authorization header). ``words``: what it says,
// in the page's language (vote.html).
function vote(forumId, roundId, words) {
  "use strict";
  const KEY = "opendetat-manage-token"; // the same management token as /manage's
  const token = takeToken(KEY);
  const $ = (id) => document.getElementById(id);
  const status = $("status");
  const form = $("ballot");
  const FIELD = { approval: "choices", dots: "points", ranked: "ranking" };
  let round, titles, controls, sending = false;

  function element(tag, text, attributes) {
    const made = document.createElement(tag);
    if (text !== undefined) made.textContent = text;
    Object.entries(attributes || {}).forEach(([name, value]) => made.setAttribute(name, value));
    return made;
  }

  function when(moment) {
    return new Date(moment).toLocaleString(words.locale, { dateStyle: "long", timeStyle: "short", timeZone: "Europe/Paris" });
  }

  function closed() {
    form.hidden = true;
    $("closed").hidden = false;
    $("results-link").hidden = true; // the closed notice links there
    status.textContent = "";
  }

  function failed(error) {
    if (error.status === 401) {
      sessionStorage.removeItem(KEY);
      form.hidden = true;
      say(status, words.expired);
    } else if (error.status === 403) {
      form.hidden = true;
      say(status, words.not_participant);
    } else if (error.status === 409) {
      closed();
    } else if (error.status === 404) {
      form.hidden = true;
      say(status, words.no_round);
    } else {
      say(status, phrase(words.error, { message: error.message }));
    }
  }

  // Instructions and limits of the method.
  function explain() {
    const values = { n: round.max_choices, budget: round.budget, cap: round.max_per_topic };
    $("method").textContent = words.methods[round.method];
    $("instructions").textContent = phrase(words[round.method], values) + " " + words.change;
    $("closes").textContent = phrase(words.closes, { when: when(round.closes_at) });
  }

  // One control per topic: a checkbox, a number of points or a rank, each with its label.
  function control(topicId, index) {
    const item = element("li");
    const id = "topic-" + index;
    const label = element("label", titles[topicId], { for: id });
    let input;
    if (round.method === "approval") {
      input = element("input", undefined, { type: "checkbox", id: id, value: topicId });
      item.append(input, " ", label);
      label.classList.add("inline");
    } else if (round.method === "dots") {
      input = element("input", undefined, { type: "number", id: id, min: 0, max: round.max_per_topic, step: 1, inputmode: "numeric", value: 0 });
      item.append(label, input, element("span", " " + words.points));
    } else {
      input = element("select", undefined, { id: id });
      input.append(element("option", words.not_ranked, { value: "" }));
      for (let rank = 1; rank <= Math.min(round.max_choices, round.topic_ids.length); rank++) {
        input.append(element("option", String(rank), { value: rank }));
      }
      item.append(label, input);
    }
    input.setAttribute("aria-describedby", "counter error-ballot");
    input.addEventListener(input.tagName === "INPUT" && input.type === "number" ? "input" : "change", count);
    return { topicId: topicId, input: input, item: item };
  }

  // Live: how many chosen, points left or topics ranked; approval boxes beyond the limit are disabled.
  function count() {
    const counter = $("counter");
    counter.classList.remove("error");
    if (round.method === "approval") {
      const chosen = controls.filter((c) => c.input.checked).length;
      controls.forEach((c) => { c.input.disabled = !c.input.checked && chosen >= round.max_choices; });
      say(counter, phrase(words.chosen, { n: chosen, most: round.max_choices }));
    } else if (round.method === "dots") {
      const left = round.budget - controls.reduce((sum, c) => sum + (parseInt(c.input.value, 10) || 0), 0);
      counter.classList.toggle("error", left < 0);
      say(counter, phrase(words.left, { left: left, budget: round.budget, cap: round.max_per_topic }));
    } else {
      const ranked = controls.filter((c) => c.input.value).length;
      say(counter, phrase(words.ranked_count, { n: ranked, most: round.max_choices }));
    }
  }

  function fill(content) {
    controls.forEach((c) => {
      if (round.method === "approval") c.input.checked = (content.choices || []).includes(c.topicId);
      else if (round.method === "dots") c.input.value = (content.points || {})[c.topicId] || 0;
      else {
        const place = (content.ranking || []).indexOf(c.topicId);
        c.input.value = place < 0 ? "" : String(place + 1);
      }
    });
    count();
  }

  function showCurrent(content) {
    let parts;
    if (round.method === "approval") parts = (content.choices || []).map((id) => titles[id] || id);
    else if (round.method === "dots") parts = Object.entries(content.points || {}).map(([id, n]) => (titles[id] || id) + words.colon + " " + n);
    else parts = (content.ranking || []).map((id, i) => i + 1 + ". " + (titles[id] || id));
    const current = $("current");
    say(current, phrase(words.current, { ballot: parts.join(words.separator) || words.no_topic }));
    current.hidden = false;
  }

  function ballot() {
    const field = FIELD[round.method];
    const body = {};
    if (round.method === "approval") body[field] = controls.filter((c) => c.input.checked).map((c) => c.topicId);
    else if (round.method === "dots") {
      body[field] = {};
      controls.forEach((c) => {
        const n = Number(c.input.value || 0);
        if (n !== 0) body[field][c.topicId] = Number.isInteger(n) ? n : c.input.value;
      });
    } else {
      body[field] = controls.filter((c) => c.input.value)
        .sort((a, b) => Number(a.input.value) - Number(b.input.value)).map((c) => c.topicId);
    }
    if (!$("group-box").hidden) body.stakeholder_group = $("stakeholder_group").value || undefined;
    return body;
  }

  // problem+json errors: {field: [messages]} (or nested by topic id): the messages, in one line.
  function messages(value) {
    if (Array.isArray(value)) return value.flatMap(messages);
    if (value && typeof value === "object") return Object.values(value).flatMap(messages);
    return [String(value)];
  }

  function clearErrors() {
    ["error-ballot", "error-stakeholder_group"].forEach((id) => { $(id).textContent = ""; });
    form.querySelectorAll("[aria-invalid]").forEach((input) => input.removeAttribute("aria-invalid"));
  }

  function showErrors(errors) {
    const ballotErrors = [], other = [];
    Object.entries(errors).forEach(([field, value]) => {
      if (field === "stakeholder_group") {
        $("group-box").hidden = false;
        $("error-stakeholder_group").textContent = phrase(words.required, { errors: messages(value).join(words.separator) });
        $("stakeholder_group").setAttribute("aria-invalid", "true");
      } else if (Object.values(FIELD).includes(field)) ballotErrors.push(...messages(value));
      else other.push(...messages(value));
    });
    if (ballotErrors.length) {
      $("error-ballot").textContent = phrase(words.refused, { errors: ballotErrors.join(words.separator) });
      controls.forEach((c) => c.input.setAttribute("aria-invalid", "true"));
    }
    say(status, phrase(words.not_saved, { errors: other.join(words.separator) || words.see_below }));
    const first = form.querySelector("[aria-invalid]");
    if (first) first.focus();
  }

  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    clearErrors();
    const body = ballot();
    if (round.method === "ranked") {
      const ranks = controls.map((c) => c.input.value).filter(Boolean);
      if (new Set(ranks).size < ranks.length) {
        showErrors({ ranking: [words.same_rank] });
        return;
      }
    }
    if (!$("group-box").hidden && !body.stakeholder_group) {
      showErrors({ stakeholder_group: [words.choose_group] });
      return;
    }
    if (sending) return; // one at a time; the button is not disabled, so that it keeps the focus
    sending = true;
    try {
      const taken = await call(token, "PUT", "/rounds/" + roundId + "/ballot", body);
      $("group-box").hidden = true; // the group is declared now
      showCurrent(taken.ballot);
      say(status, words.saved);
    } catch (error) {
      if (error.status === 422 || error.status === 400) showErrors(error.errors);
      else failed(error);
    } finally {
      sending = false;
    }
  });

  async function titlesOf(ids) {
    const listing = await call(null, "GET", "/forums/" + forumId + "/topics");
    const found = Object.fromEntries(listing.items.map((topic) => [topic.id, topic.title]));
    const missing = ids.filter((id) => !(id in found)); // left the forum since: merged, carried over
    const more = await Promise.all(missing.map((id) => call(null, "GET", "/topics/" + id).catch(() => ({ title: id }))));
    missing.forEach((id, i) => { found[id] = more[i].title; });
    return found;
  }

  async function forumTitle() {
    try {
      const forum = await call(null, "GET", "/forums/" + forumId);
      $("forum").textContent = phrase(words.forum, { title: forum.title });
      $("forum").hidden = false;
    } catch (error) { /* the title is a nicety: registration may be down */ }
  }

  async function load() {
    say(status, words.loading);
    try {
      round = await call(null, "GET", "/rounds/" + roundId);
      if (round.forum_id !== forumId) throw Object.assign(new Error("Round not found"), { status: 404 });
      forumTitle();
      if (round.status !== "open" || new Date(round.closes_at) <= new Date()) return closed();
      if (!token) {
        say(status, words.no_token);
        return;
      }
      const [found, mine] = await Promise.all([titlesOf(round.topic_ids), call(token, "GET", "/people/me/topics")]);
      titles = found;
      explain();
      controls = round.topic_ids.map(control);
      $("topics").replaceChildren(...controls.map((c) => c.item));
      $("group-box").hidden = Boolean(mine.stakeholder_group);
      const mineHere = (mine.ballots || []).filter((b) => b.round_id === roundId).pop();
      if (mineHere) {
        fill(mineHere.content);
        showCurrent(mineHere.content);
      } else count();
      form.hidden = false;
      status.textContent = "";
    } catch (error) {
      failed(error);
    }
  }

  load();
}
