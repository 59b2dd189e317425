// The sandbox page: plays simulated people against the fake Telegram.
// Plain JavaScript, no build step. Text from the API is always put in the
// page with textContent; only a message's "html", which the server builds
// from escaped text and a fixed set of tags, goes through innerHTML.
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);
  const POLL_MS = 700;
  const PRESETS = [
    { label: "Plaça del Sol, Gràcia", lat: 41.40165, lon: 2.15745 },
    { label: "Sagrada Família, Barcelona", lat: 41.40363, lon: 2.17436 },
    { label: "Plaça del Vi, Girona", lat: 41.98571, lon: 2.82469 },
    { label: "Somewhere else…", lat: null, lon: null },
  ];

  const state = {
    person: null, // id of the person acting
    chat: null, // id of the open chat
    mark: "", // ChangeMark of the last view drawn
    view: null,
    polling: false,
  };

  // ---- API -------------------------------------------------------------

  async function api(method, path, body) {
    const opts = { method, headers: {} };
    if (body !== undefined) {
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(body);
    }
    const res = await fetch(path, opts);
    if (res.status === 204) return null;
    const data = await res.json().catch(() => ({}));
    if (!res.ok) throw new Error(data.error || res.statusText);
    return data;
  }

  const personPath = () => "/api/people/" + state.person;

  let asked = 0; // refreshes started
  let drawn = 0; // the newest refresh drawn: an older answer arriving late is dropped
  async function refresh(force) {
    if (state.polling && !force) return;
    state.polling = true;
    const n = ++asked;
    try {
      const q = new URLSearchParams();
      if (state.person) q.set("person", state.person);
      if (state.chat) q.set("chat", state.chat);
      if (!force) q.set("mark", state.mark);
      const v = await api("GET", "/api/view?" + q);
      if (v && n > drawn) {
        drawn = n;
        state.mark = v.mark;
        state.view = v;
        draw(v);
      }
    } catch (e) {
      console.warn("poll:", e);
    } finally {
      state.polling = false;
    }
  }

  // ---- Drawing ---------------------------------------------------------

  function el(tag, attrs, ...kids) {
    const n = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === "class") n.className = v;
      else if (k === "text") n.textContent = v;
      else if (k.startsWith("on")) n.addEventListener(k.slice(2), v);
      else n.setAttribute(k, v === true ? "" : v);
    }
    for (const kid of kids) if (kid) n.append(kid);
    return n;
  }

  function initials(name) {
    return (name || "?").trim().slice(0, 1).toUpperCase();
  }

  function draw(v) {
    drawPeople(v);
    drawChats(v);
    drawActions(v);
    drawPageActions(v);
    drawChat(v);
  }

  function drawPeople(v) {
    const sel = $("person");
    const want = v.people.map((p) => p.id + ":" + p.name).join("|");
    if (sel.dataset.list !== want) {
      sel.replaceChildren();
      if (v.people.length === 0) sel.append(el("option", { value: "", text: "— add a person below —" }));
      for (const p of v.people) {
        sel.append(el("option", { value: p.id, text: p.name + " (" + p.lang + ")", "data-name": p.name }));
      }
      sel.dataset.list = want;
    }
    sel.value = state.person ? String(state.person) : "";
  }

  function drawChats(v) {
    const nav = $("chats");
    nav.replaceChildren();
    if (!state.person) {
      nav.append(el("div", { class: "empty-list", text: "Add a person to chat with the bot as them. You can add as many as you like and switch between them." }));
      return;
    }
    for (const c of v.chats) {
      nav.append(
        el("button", {
          type: "button",
          class: "chat-item" + (c.id === state.chat ? " active" : ""),
          "data-testid": "chat-item",
          "data-chat-id": c.id,
          "data-kind": c.kind,
          "data-title": c.title,
          onclick: () => openChat(c.id),
        },
        el("div", { class: "avatar" + (c.kind === "group" ? " group" : ""), text: initials(c.title) }),
        el("div", { class: "meta" },
          el("div", { class: "name", text: c.title }),
          el("div", { class: "preview", text: c.preview || (c.kind === "private" ? "bot" : "group") })))
      );
    }
  }

  function drawActions(v) {
    const box = $("actions");
    box.replaceChildren();
    for (const a of v.actions) {
      box.append(el("button", { type: "button", "data-testid": "action-" + a.id, text: a.label, onclick: () => runAction(a.id) }));
    }
    $("tools").hidden = !state.person;
  }

  // drawPageActions shows the actions for the whole sandbox; a button stays
  // disabled while its action runs.
  function drawPageActions(v) {
    const box = $("page-actions");
    const want = v.page_actions.map((a) => a.id + ":" + a.label).join("|");
    if (box.dataset.list === want) return;
    box.replaceChildren();
    for (const a of v.page_actions) {
      box.append(el("button", { type: "button", "data-testid": "page-action-" + a.id, text: a.label,
        onclick: (e) => runPageAction(a.id, e.currentTarget) }));
    }
    box.dataset.list = want;
    box.hidden = v.page_actions.length === 0;
  }

  function drawChat(v) {
    const box = $("messages");
    const c = v.chat;
    const composer = $("composer");
    composer.classList.toggle("disabled", !c);
    $("attach").hidden = !c || c.kind !== "private";
    $("cmds").hidden = !c || v.commands.length === 0;
    if (!c) {
      $("chat-title").textContent = "Multaque sandbox";
      $("chat-sub").textContent = state.person ? "Choose a chat" : "Add a person on the left to begin";
      $("chat-avatar").textContent = "";
      $("chat-avatar").className = "avatar";
      box.replaceChildren();
      $("reply-kb").replaceChildren();
      return;
    }
    $("chat-title").textContent = c.title;
    $("chat-avatar").textContent = initials(c.title);
    $("chat-avatar").className = "avatar" + (c.kind === "group" ? " group" : "");
    $("chat-sub").textContent =
      c.kind === "private" ? "bot · @" + v.bot.username : members(c.members || []);
    if (c.description) $("chat-sub").title = c.description;

    const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 60;
    box.replaceChildren();
    if (c.kind === "private" && v.messages.length === 0) {
      box.append(el("div", { class: "start-panel" },
        el("div", { text: "What can this bot do? Tap START to talk to it." }),
        el("button", { type: "button", "data-testid": "start", text: "START", onclick: () => sendText("/start") })));
    }
    let replyKb = null;
    for (const m of v.messages) {
      if (m.service) {
        box.append(el("div", { class: "service", "data-testid": "service-message", text: m.service }));
        continue;
      }
      box.append(drawMessage(m, c));
      if (m.reply_keyboard) replyKb = m.reply_keyboard;
    }
    drawReplyKeyboard(replyKb);
    if (atBottom || state.stickToBottom) {
      box.scrollTop = box.scrollHeight;
      state.stickToBottom = false;
    }
    drawCommands(v);
  }

  function members(names) {
    return names.length + (names.length === 1 ? " member: " : " members: ") + names.join(", ");
  }

  function drawMessage(m, c) {
    const bubble = el("div", { class: "bubble" });
    if (c.kind === "group" && m.from !== "me") {
      bubble.append(el("div", { class: "from" + (m.from === "bot" ? " bot" : ""), text: m.from_name }));
    }
    if (m.photo) {
      bubble.append(el("img", { class: "photo", src: m.photo.url, alt: m.photo.name || "photo", "data-testid": "photo" }));
    }
    if (m.document) {
      bubble.append(el("a", { class: "file", href: m.document.url + "?download=1", download: m.document.name, "data-testid": "document" },
        el("div", { class: "icon", text: "📄" }),
        el("div", {},
          el("div", { class: "fname", text: m.document.name }),
          el("div", { class: "fsize", text: size(m.document.size) + " · " + m.document.mime }))));
    }
    if (m.location) {
      bubble.append(el("div", { class: "loc", "data-testid": "location-message",
        text: "📍 " + m.location.Lat.toFixed(5) + ", " + m.location.Lon.toFixed(5) }));
    }
    if (m.poll) bubble.append(drawPoll(m));
    const stamp = el("span", { class: "stamp", text: (m.edited ? "edited " : "") + (m.pinned ? "📌 " : "") + m.time });
    if (m.html) {
      const t = el("div", { class: "text", "data-testid": "message-text" });
      t.innerHTML = m.html; // built by the server from escaped text
      t.append(stamp);
      bubble.append(t);
    } else {
      bubble.append(stamp);
    }
    const wrap = el("div", { class: "msg " + m.from, "data-testid": "message", "data-id": m.id, "data-from": m.from }, bubble);
    if (m.keyboard && m.keyboard.length) {
      const kb = el("div", { class: "kb", "data-testid": "keyboard" });
      for (const row of m.keyboard) {
        const r = el("div", { class: "kb-row" });
        for (const b of row) {
          r.append(el("button", {
            type: "button",
            class: b.url ? "url" : "",
            title: b.url || b.text,
            "data-testid": "kb-button",
            "data-text": b.text,
            "data-url": b.url || null,
            text: b.text,
            onclick: () => (b.url ? openLink(b.url) : press(m.id, b.data)),
          }));
        }
        kb.append(r);
      }
      wrap.append(kb);
    }
    return wrap;
  }

  // drawPoll draws a native poll: tapping an option answers (or, tapped
  // again, takes the answer back); a poll of several answers toggles it.
  function drawPoll(m) {
    const p = m.poll;
    const box = el("div", { class: "poll", "data-testid": "poll" },
      el("div", { class: "poll-q", text: "📊 " + p.question }));
    p.options.forEach((o, i) => {
      box.append(el("button", {
        type: "button",
        class: "poll-opt" + (o.mine ? " mine" : ""),
        "data-testid": "poll-option",
        "data-text": o.text,
        disabled: p.closed,
        text: (o.mine ? "✔ " : "") + o.text + " · " + o.count,
        onclick: () => {
          const mine = p.options.map((x, j) => (x.mine ? j : -1)).filter((j) => j >= 0);
          let next;
          if (p.multiple) next = o.mine ? mine.filter((j) => j !== i) : mine.concat([i]);
          else next = o.mine ? [] : [i];
          vote(m.id, next);
        },
      }));
    });
    box.append(el("div", { class: "poll-meta", text: p.voters + (p.voters === 1 ? " vote" : " votes") + (p.closed ? " · closed" : "") }));
    return box;
  }

  async function vote(message, options) {
    try {
      await api("POST", personPath() + "/chats/" + state.chat + "/vote", { message, options });
      refresh(true);
    } catch (e) {
      oops(e);
    }
  }

  function size(n) {
    if (n < 1024) return n + " B";
    if (n < 1024 * 1024) return (n / 1024).toFixed(1) + " KB";
    return (n / 1024 / 1024).toFixed(1) + " MB";
  }

  function drawReplyKeyboard(rows) {
    const box = $("reply-kb");
    box.replaceChildren();
    for (const row of rows || []) {
      for (const text of row) {
        box.append(el("button", { type: "button", "data-testid": "reply-button", "data-text": text, text, onclick: () => sendText(text) }));
      }
    }
  }

  function drawCommands(v) {
    const menu = $("cmd-menu");
    menu.replaceChildren();
    for (const c of v.commands) {
      menu.append(el("button", { type: "button", "data-testid": "command", "data-command": c.command,
        onclick: () => { menu.hidden = true; sendText(c.command); } },
        el("span", { class: "c", text: c.command }), el("span", { class: "d", text: c.description })));
    }
  }

  // ---- Toasts ----------------------------------------------------------

  let toastTimer = null;
  function toast(text, kind) {
    const t = $("toast");
    clearTimeout(toastTimer);
    t.replaceChildren(document.createTextNode(text));
    t.className = "toast" + (kind ? " " + kind : "");
    t.dataset.kind = kind || "toast";
    t.hidden = false;
    if (kind === "alert") {
      t.append(el("button", { type: "button", "data-testid": "toast-ok", text: "OK", onclick: () => (t.hidden = true) }));
    } else {
      // Long enough to read: about 20 characters a second.
      toastTimer = setTimeout(() => (t.hidden = true), Math.max(kind === "error" ? 4000 : 2500, text.length * 50));
    }
  }
  const oops = (e) => toast(e.message || String(e), "error");

  // ---- Actions ---------------------------------------------------------

  function remember() {
    const q = new URLSearchParams();
    if (state.person) q.set("p", state.person);
    if (state.chat) q.set("c", state.chat);
    history.replaceState(null, "", "#" + q);
  }

  function choosePerson(id) {
    state.person = id ? Number(id) : null;
    state.chat = state.person; // the chat with the bot
    state.stickToBottom = true;
    $("app").dataset.pane = "chat";
    remember();
    refresh(true);
  }

  function openChat(id) {
    state.chat = id;
    state.stickToBottom = true;
    $("app").dataset.pane = "chat";
    $("cmd-menu").hidden = true;
    $("loc-panel").hidden = true;
    remember();
    refresh(true);
  }

  async function sendText(text) {
    if (!state.person || !state.chat) return;
    try {
      state.stickToBottom = true;
      await api("POST", personPath() + "/chats/" + state.chat + "/send", { text });
      refresh(true);
    } catch (e) {
      oops(e);
    }
  }

  async function press(message, data) {
    try {
      const r = await api("POST", personPath() + "/chats/" + state.chat + "/press", { message, data });
      state.stickToBottom = true;
      refresh(true);
      if (r && r.update) awaitAnswer(r.update);
    } catch (e) {
      oops(e);
    }
  }

  // awaitAnswer shows what the bot answers to a button press, if anything.
  async function awaitAnswer(update) {
    const who = state.person;
    for (let i = 0; i < 25; i++) {
      await new Promise((r) => setTimeout(r, 120));
      const a = await api("GET", "/api/people/" + who + "/answers/" + update).catch(() => null);
      if (a) {
        if (a.text) toast(a.text, a.alert ? "alert" : "");
        if (a.url) openLink(a.url);
        return;
      }
    }
  }

  async function openLink(url) {
    try {
      const r = await api("POST", personPath() + "/open", { url });
      if (r.kind === "external") {
        window.open(r.url, "_blank", "noopener,noreferrer");
        return;
      }
      if (r.note) toast(r.note);
      if (r.chat) openChat(r.chat);
      else refresh(true);
    } catch (e) {
      oops(e);
    }
  }

  async function runAction(id) {
    try {
      const r = await api("POST", personPath() + "/actions/" + encodeURIComponent(id), {});
      if (r && r.note) toast(r.note);
      refresh(true);
    } catch (e) {
      oops(e);
    }
  }

  async function runPageAction(id, button) {
    button.disabled = true;
    try {
      const r = await api("POST", "/api/actions/" + encodeURIComponent(id), {});
      if (r && r.note) toast(r.note);
      refresh(true);
    } catch (e) {
      oops(e);
    } finally {
      button.disabled = false;
    }
  }

  // ---- Wiring ----------------------------------------------------------

  function setup() {
    $("person").addEventListener("change", (e) => choosePerson(e.target.value));

    $("new-person").addEventListener("submit", async (e) => {
      e.preventDefault();
      const name = $("new-name").value.trim();
      if (!name) return;
      try {
        const p = await api("POST", "/api/people", { name, lang: $("new-lang").value });
        $("new-name").value = "";
        choosePerson(p.id);
      } catch (err) {
        oops(err);
      }
    });

    $("composer").addEventListener("submit", (e) => {
      e.preventDefault();
      const t = $("text");
      const text = t.value.trim();
      if (!text) return;
      t.value = "";
      t.style.height = "";
      sendText(text);
    });
    $("text").addEventListener("keydown", (e) => {
      if (e.key === "Enter" && !e.shiftKey) {
        e.preventDefault();
        $("composer").requestSubmit();
      }
    });
    $("text").addEventListener("input", (e) => {
      e.target.style.height = "";
      e.target.style.height = Math.min(e.target.scrollHeight + 2, 140) + "px";
    });

    $("cmds").addEventListener("click", () => {
      $("cmd-menu").hidden = !$("cmd-menu").hidden;
      $("loc-panel").hidden = true;
    });

    const preset = $("loc-preset");
    PRESETS.forEach((p, i) => preset.append(el("option", { value: i, text: p.label })));
    const applyPreset = () => {
      const p = PRESETS[preset.value];
      if (p.lat !== null) {
        $("loc-lat").value = p.lat;
        $("loc-lon").value = p.lon;
      }
    };
    preset.addEventListener("change", applyPreset);
    applyPreset();
    $("attach").addEventListener("click", () => {
      $("loc-panel").hidden = !$("loc-panel").hidden;
      $("cmd-menu").hidden = true;
    });
    $("loc-panel").addEventListener("submit", async (e) => {
      e.preventDefault();
      const lat = parseFloat($("loc-lat").value.replace(",", "."));
      const lon = parseFloat($("loc-lon").value.replace(",", "."));
      try {
        await api("POST", personPath() + "/location", { lat, lon });
        $("loc-panel").hidden = true;
        state.stickToBottom = true;
        refresh(true);
      } catch (err) {
        oops(err);
      }
    });

    $("open-form").addEventListener("submit", (e) => {
      e.preventDefault();
      const url = $("open-url").value.trim();
      if (url) openLink(url);
      $("open-url").value = "";
    });
    $("new-group").addEventListener("click", async () => {
      try {
        const r = await api("POST", personPath() + "/groups", { title: "" });
        if (r.note) toast(r.note);
        openChat(r.chat);
      } catch (e) {
        oops(e);
      }
    });
    $("back").addEventListener("click", () => ($("app").dataset.pane = "list"));

    // Links inside messages: /commands are sent, t.me links followed in the
    // sandbox, anything else opens in a new tab as usual.
    $("messages").addEventListener("click", (e) => {
      const a = e.target.closest("a");
      if (a && a.classList.contains("cmd")) {
        e.preventDefault();
        sendText(a.dataset.cmd);
      } else if (a && /^https?:\/\/(t|telegram)\.me\//.test(a.getAttribute("href") || "")) {
        e.preventDefault();
        openLink(a.getAttribute("href"));
      }
      const sp = e.target.closest(".spoiler");
      if (sp) sp.classList.add("shown");
    });

    const q = new URLSearchParams(location.hash.slice(1));
    if (q.get("p")) {
      state.person = Number(q.get("p"));
      state.chat = q.get("c") ? Number(q.get("c")) : state.person;
      $("app").dataset.pane = "chat";
    }
    refresh(true).then(() => {
      const v = state.view;
      if (v && state.person && !v.people.some((p) => p.id === state.person)) {
        state.person = state.chat = null; // gone since (a restart)
        remember();
        refresh(true);
      }
    });
    setInterval(() => refresh(false), POLL_MS);
  }

  setup();
})();
