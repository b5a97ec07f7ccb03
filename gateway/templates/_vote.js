// The vote page: the round and the forum's topics from the API, a form for the round's method, the ballot
// PUT with the token of the emailed link (only ever in the Authorization header).
function vote(forumId, roundId) {
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

  function when(moment, locale) {
    return new Date(moment).toLocaleString(locale, { dateStyle: "long", timeStyle: "short", timeZone: "Europe/Paris" });
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
      say(status, "Ce lien n'est plus valide (un lien plus récent l'a peut-être remplacé) : ouvrez celui du dernier courriel reçu.",
        "This link is no longer valid (a newer one may have replaced it): open the one in your latest email.");
    } else if (error.status === 403) {
      form.hidden = true;
      say(status, "Ce lien ne permet pas de voter : il n'est pas celui d'un participant.", "This link cannot vote: it is not a participant's.");
    } else if (error.status === 409) {
      closed();
    } else if (error.status === 404) {
      form.hidden = true;
      say(status, "Ce tour de priorisation n'existe pas.", "There is no such prioritisation round.");
    } else {
      say(status, "Une erreur est survenue, réessayez : " + error.message, "Something went wrong, please try again.");
    }
  }

  // Instructions and limits of the method, in both languages.
  function explain() {
    const n = round.max_choices, budget = round.budget, cap = round.max_per_topic;
    const words = {
      approval: ["Approbation / Approval", "Cochez chaque sujet que vous soutenez, " + n + " au plus.",
        "Tick every topic you support, at most " + n + "."],
      dots: ["Gommettes / Dots", "Répartissez vos " + budget + " points entre les sujets qui comptent le plus pour vous, au plus " + cap + " sur un même sujet.",
        "Share your " + budget + " points among the topics that matter most to you, at most " + cap + " on one topic."],
      ranked: ["Classement / Ranking", "Classez jusqu'à " + n + " sujets par ordre de préférence : 1 pour celui que vous préférez. Les sujets non classés viennent après.",
        "Rank up to " + n + " topics in order of preference: 1 for the one you prefer. Unranked topics come after."],
    }[round.method];
    $("method").textContent = words[0];
    $("instructions").replaceChildren(words[1] + " Vous pouvez changer votre vote jusqu'à la clôture. ",
      element("span", words[2] + " You may change your vote until the round closes.", { lang: "en" }));
    $("closes").textContent = "Clôture : " + when(round.closes_at, "fr-FR") + " / Closes: " + when(round.closes_at, "en-GB");
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
      item.append(label, input, element("span", " point(s)"));
    } else {
      input = element("select", undefined, { id: id });
      input.append(element("option", "non classé / not ranked", { value: "" }));
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
      say(counter, chosen + " sujet(s) choisi(s) sur " + round.max_choices + " au plus",
        chosen + " topic(s) chosen, at most " + round.max_choices);
    } else if (round.method === "dots") {
      const left = round.budget - controls.reduce((sum, c) => sum + (parseInt(c.input.value, 10) || 0), 0);
      counter.classList.toggle("error", left < 0);
      say(counter, "Points restants : " + left + " sur " + round.budget + " (au plus " + round.max_per_topic + " par sujet)",
        "Points left: " + left + " of " + round.budget + " (at most " + round.max_per_topic + " per topic)");
    } else {
      const ranked = controls.filter((c) => c.input.value).length;
      say(counter, ranked + " sujet(s) classé(s) sur " + round.max_choices + " au plus",
        ranked + " topic(s) ranked, at most " + round.max_choices);
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
    else if (round.method === "dots") parts = Object.entries(content.points || {}).map(([id, n]) => (titles[id] || id) + " : " + n);
    else parts = (content.ranking || []).map((id, i) => i + 1 + ". " + (titles[id] || id));
    const current = $("current");
    say(current, "Votre vote actuel : " + (parts.join(" ; ") || "aucun sujet"), "Your current ballot: " + (parts.join("; ") || "no topic"));
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
        $("error-stakeholder_group").textContent = "À indiquer / Required: " + messages(value).join("; ");
        $("stakeholder_group").setAttribute("aria-invalid", "true");
      } else if (Object.values(FIELD).includes(field)) ballotErrors.push(...messages(value));
      else other.push(...messages(value));
    });
    if (ballotErrors.length) {
      $("error-ballot").textContent = "Vote refusé / Ballot refused: " + ballotErrors.join("; ");
      controls.forEach((c) => c.input.setAttribute("aria-invalid", "true"));
    }
    say(status, "Votre vote n'est pas enregistré : " + (other.join("; ") || "voyez les erreurs ci-dessous."),
      "Your ballot is not saved: " + (other.join("; ") || "see the errors below."));
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
        showErrors({ ranking: ["deux sujets ont le même rang / two topics have the same rank"] });
        return;
      }
    }
    if (!$("group-box").hidden && !body.stakeholder_group) {
      showErrors({ stakeholder_group: ["choisissez votre collège / choose your group"] });
      return;
    }
    if (sending) return; // one at a time; the button is not disabled, so that it keeps the focus
    sending = true;
    try {
      const taken = await call(token, "PUT", "/rounds/" + roundId + "/ballot", body);
      $("group-box").hidden = true; // the group is declared now
      showCurrent(taken.ballot);
      say(status, "Votre vote est enregistré. Vous pouvez le changer jusqu'à la clôture.",
        "Your ballot is saved. You may change it until the round closes.");
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
      $("forum").textContent = "Forum : " + forum.title;
      $("forum").hidden = false;
    } catch (error) { /* the title is a nicety: registration may be down */ }
  }

  async function load() {
    say(status, "Chargement…", "Loading…");
    try {
      round = await call(null, "GET", "/rounds/" + roundId);
      if (round.forum_id !== forumId) throw Object.assign(new Error("Round not found"), { status: 404 });
      forumTitle();
      if (round.status !== "open" || new Date(round.closes_at) <= new Date()) return closed();
      if (!token) {
        say(status, "Pour voter, ouvrez le lien personnel reçu par courriel.", "To vote, open the personal link you were emailed.");
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
