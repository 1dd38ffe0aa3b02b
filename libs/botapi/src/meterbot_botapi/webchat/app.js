// Web chat for the local Telegram Bot API server: a person talks to a bot as a Telegram user.
//
// Everything goes through the server's /_test resident API (relative URLs, so a path prefix works):
//   GET  _test/bots?wait=S                              which bots have connected (waits for the first)
//   PUT  _test/users/{id}                               this page's user profile
//   POST _test/bots/{bot}/users/{id}/open               admin view: the bot may write to this user
//   POST _test/bots/{bot}/users/{id}/text|button|callback|photo|document
//   GET  _test/bots/{bot}/chats/{id}/changes?since=V    long poll: the whole chat once it changed
//   GET  _test/bots/{bot}/callback_answers/{query}      the bot's answer to a button press (toast)
//   GET  _test/bots/{bot}/files/{file_id}               photos and documents
// Views: "/" and "/chat" -- a made-up resident per tab (sessionStorage; ?user=ID, ?name=...);
// "/admin" -- the user ?admin=ID (default 1000), with «Ответить» under the bot's messages.

const params = new URLSearchParams(location.search);
const ADMIN = /\/admin\/?$/.test(location.pathname);
const DEFAULT_ADMIN_ID = 1000;
const STORAGE_KEY = "meterbot-webchat.user";
const NAMES = [
  "Анна", "Борис", "Вера", "Глеб", "Дина", "Егор", "Жанна", "Зоя", "Илья", "Ксения",
  "Лев", "Мария", "Никита", "Ольга", "Павел", "Роман", "Светлана", "Тимур", "Ульяна", "Фёдор",
];
const POLL_SECONDS = 25;
const TOAST_MS = 2600;

const $ = (id) => document.getElementById(id);
const ui = {
  title: $("title"), subtitle: $("subtitle"), avatar: $("avatar"), newUser: $("new-user"),
  scroller: $("scroller"), notice: $("notice"), messages: $("messages"),
  replyBar: $("reply-bar"), replyLabel: $("reply-label"), replySnippet: $("reply-snippet"),
  replyCancel: $("reply-cancel"), composer: $("composer"), attach: $("attach"), file: $("file"),
  input: $("input"), kbToggle: $("kb-toggle"), send: $("send"), keyboard: $("keyboard"),
  toast: $("toast"), alert: $("alert"), alertText: $("alert-text"), alertOk: $("alert-ok"),
};

const state = {
  bot: null, // {id, first_name, username}
  user: null, // {id, first_name, phone_number}
  version: 0,
  messages: [], // the chat as last received (ChatMessage objects, deleted ones included)
  views: new Map(), // message_id -> {key, row}
  keyboard: null, // {markup, messageId} of the reply keyboard in force
  keyboardHidden: false,
  replyTo: null, // the message the next text answers (admin «Ответить» or force_reply)
  forcedFor: 0, // the force_reply message already turned into replyTo
  online: true,
  stickToBottom: true, // the reader is at the newest message: keep it in view as the chat grows
};

// ---------------------------------------------------------------------------------------------
// Small helpers

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = text;
  return node;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function toInt(value) {
  const n = Number.parseInt(value ?? "", 10);
  return Number.isFinite(n) && n > 0 ? n : null;
}

function phoneOf(id) {
  return "+7900" + String(id % 10_000_000).padStart(7, "0");
}

// Times as the bot's texts give them: in the billing time zone the server names, not the browser's.
const TIME_ZONE = document.querySelector('meta[name="time-zone"]')?.content || undefined;

function timeOf(unix) {
  const options = { hour: "2-digit", minute: "2-digit", timeZone: TIME_ZONE };
  try {
    return new Date(unix * 1000).toLocaleTimeString("ru-RU", options);
  } catch {
    return new Date(unix * 1000).toLocaleTimeString("ru-RU", { hour: "2-digit", minute: "2-digit" });
  }
}

function safeUrl(url) {
  return /^(https?:|tg:|mailto:)/i.test(url || "") ? url : "#";
}

class ApiError extends Error {
  constructor(status, description) {
    super(description);
    this.status = status;
  }
}

async function api(method, path, body) {
  const init = { method, headers: {} };
  if (body instanceof FormData) {
    init.body = body;
  } else if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const resp = await fetch("_test/" + path, init);
  let data;
  try {
    data = await resp.json();
  } catch {
    throw new ApiError(resp.status, `HTTP ${resp.status}`);
  }
  if (!data.ok) throw new ApiError(data.error_code || resp.status, data.description || `HTTP ${resp.status}`);
  return data.result;
}

// Bot API errors read "Bad Request: ..."; show the part after the colon.
function explain(error) {
  if (!(error instanceof ApiError)) return "Нет связи с сервером";
  return error.message.replace(/^[A-Za-z ]+: /, "");
}

// ---------------------------------------------------------------------------------------------
// Who is chatting with which bot

// The profile the server already has for ``id`` (another tab, a test), or null.
async function knownProfile(id) {
  try {
    return (await api("GET", "users")).find((user) => user.id === id) || null;
  } catch {
    return null;
  }
}

async function chooseUser() {
  const name = params.get("name");
  if (ADMIN) {
    const id = toInt(params.get("admin")) || DEFAULT_ADMIN_ID;
    const known = await knownProfile(id);
    const first_name = name || known?.first_name || "Администратор";
    return { id, first_name, phone_number: known?.phone_number || phoneOf(id) };
  }
  let stored = null;
  try {
    stored = JSON.parse(sessionStorage.getItem(STORAGE_KEY) || "null");
  } catch {
    stored = null;
  }
  const asked = toInt(params.get("user"));
  let user;
  if (asked && stored?.id === asked) {
    user = stored;
  } else if (asked) {
    const known = await knownProfile(asked);
    user = known || { id: asked, first_name: NAMES[asked % NAMES.length] };
  } else if (stored && toInt(stored.id)) {
    user = stored;
  } else {
    const id = 100_000 + Math.floor(Math.random() * 900_000);
    user = { id, first_name: NAMES[id % NAMES.length] };
  }
  user = {
    id: user.id,
    first_name: name || user.first_name,
    phone_number: user.phone_number || phoneOf(user.id),
  };
  sessionStorage.setItem(STORAGE_KEY, JSON.stringify(user));
  return user;
}

function showNotice(content) {
  ui.notice.replaceChildren(...(Array.isArray(content) ? content : [content]));
  ui.notice.hidden = false;
}

async function chooseBot() {
  const asked = params.get("bot");
  if (asked) {
    const bots = await api("GET", "bots").catch(() => []);
    const known = bots.find((b) => String(b.id) === asked || b.username === asked);
    return known || { id: asked, first_name: `Бот ${asked}` };
  }
  let delay = 1000;
  let wait = 0; // the first look answers at once, so the page can say it is waiting
  for (;;) {
    try {
      const bots = (await api("GET", `bots?wait=${wait}`)).filter((b) => b.connected);
      wait = POLL_SECONDS;
      if (bots.length === 1) return bots[0];
      if (bots.length > 1) {
        showBotPicker(bots);
        return null;
      }
      delay = 1000;
      const address = el("code", null, new URL(".", location.href).href.replace(/\/$/, ""));
      showNotice([
        el("div", "notice-title", "Ждём бота"),
        el("div", null, "Запустите бота с адресом Bot API"),
        address,
        el("div", null, "— страница подключится сама."),
      ]);
    } catch (error) {
      showNotice(el("div", null, "Нет связи с сервером, пробуем снова…"));
      await sleep(delay);
      delay = Math.min(delay * 2, 10_000);
    }
  }
}

function showBotPicker(bots) {
  const list = el("div", "bot-list");
  for (const bot of bots) {
    const link = el("a", "bot-link", `${bot.first_name} (@${bot.username}, id ${bot.id})`);
    const next = new URLSearchParams(params);
    next.set("bot", bot.id);
    link.href = "?" + next.toString();
    list.append(link);
  }
  showNotice([el("div", null, "К серверу подключено несколько ботов. Выберите, с кем говорить:"), list]);
  ui.subtitle.textContent = "выберите бота";
}

function userPath(action) {
  return `bots/${state.bot.id}/users/${state.user.id}/${action}`;
}

function fileUrl(fileId) {
  return `_test/bots/${state.bot.id}/files/${encodeURIComponent(fileId)}`;
}

// ---------------------------------------------------------------------------------------------
// Rendering messages

// Text with Telegram entities (offsets are UTF-16 code units, as JavaScript strings are); /commands
// are buttons that send the command, as in Telegram.
const UNSPLIT = new Set(["url", "text_link", "code", "pre", "bot_command", "email"]);
const COMMAND_RE = /(^|[\s(«"'])(\/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?)(?=$|[\s.,;:!?)»"'])/g;

function richText(text, entities) {
  const root = el("div", "text");
  const list = entities || [];
  const cuts = new Set([0, text.length]);
  for (const e of list) {
    cuts.add(Math.max(0, e.offset));
    cuts.add(Math.min(text.length, e.offset + e.length));
  }
  const points = [...cuts].sort((a, b) => a - b);
  for (let i = 0; i + 1 < points.length; i += 1) {
    const [start, end] = [points[i], points[i + 1]];
    const covering = list.filter((e) => e.offset <= start && e.offset + e.length >= end);
    const piece = text.slice(start, end);
    let node = covering.some((e) => UNSPLIT.has(e.type)) ? document.createTextNode(piece) : withCommands(piece);
    for (const e of covering) node = wrapEntity(node, e, text);
    root.append(node);
  }
  return root;
}

function commandButton(command) {
  const button = el("button", "command", command);
  button.type = "button";
  button.addEventListener("click", () => sendCommand(command));
  return button;
}

function withCommands(piece) {
  const fragment = document.createDocumentFragment();
  let last = 0;
  for (const match of piece.matchAll(COMMAND_RE)) {
    const at = match.index + match[1].length;
    fragment.append(piece.slice(last, at), commandButton(match[2]));
    last = at + match[2].length;
  }
  fragment.append(piece.slice(last));
  return fragment;
}

const ENTITY_TAGS = {
  bold: "b", italic: "i", underline: "u", strikethrough: "s", code: "code", pre: "pre",
  spoiler: "span", blockquote: "blockquote",
};

function wrapEntity(node, entity, text) {
  let wrapper;
  if (entity.type === "bot_command") {
    return commandButton(text.substr(entity.offset, entity.length));
  } else if (entity.type === "text_link" || entity.type === "url") {
    const target = entity.type === "url" ? text.substr(entity.offset, entity.length) : entity.url;
    wrapper = el("a");
    wrapper.href = safeUrl(/^[a-z]+:/i.test(target) ? target : "https://" + target);
    wrapper.target = "_blank";
    wrapper.rel = "noopener noreferrer";
  } else if (ENTITY_TAGS[entity.type]) {
    wrapper = el(ENTITY_TAGS[entity.type], entity.type === "spoiler" ? "spoiler" : null);
  } else {
    return node;
  }
  wrapper.append(node);
  return wrapper;
}

function senderName(user) {
  if (!user) return "";
  return [user.first_name, user.last_name].filter(Boolean).join(" ") || user.title || "";
}

function snippetOf(message) {
  if (message.text) return message.text;
  if (message.caption) return message.caption;
  if (message.photo) return "Фото";
  if (message.document) return "Файл " + (message.document.file_name || "");
  if (message.contact) return "Контакт";
  if (message.sticker) return "Стикер " + (message.sticker.emoji || "");
  return "Сообщение";
}

function quoteOf(original) {
  const quote = el("div", "quote");
  quote.append(el("div", "quote-who", senderName(original.from)));
  quote.append(el("div", "quote-text", snippetOf(original)));
  return quote;
}

function mediaOf(m) {
  const msg = m.message;
  if (m.kind === "photo") {
    const link = el("a", "photo-link");
    link.href = fileUrl(m.file_id);
    link.target = "_blank";
    const img = el("img", "photo");
    img.src = fileUrl(m.file_id);
    img.alt = m.caption || "Фото";
    img.addEventListener("load", () => keepBottom());
    link.append(img);
    return link;
  }
  if (m.kind === "document") {
    const link = el("a", "document", msg.document.file_name || "Файл");
    link.href = fileUrl(m.file_id);
    link.download = msg.document.file_name || "file";
    return link;
  }
  if (m.kind === "sticker") return el("div", "sticker", msg.sticker.emoji || "Стикер");
  if (m.kind === "contact") {
    const c = msg.contact;
    const box = el("div", "contact");
    box.append(el("div", "contact-name", [c.first_name, c.last_name].filter(Boolean).join(" ")));
    box.append(el("div", "contact-phone", c.phone_number));
    return box;
  }
  if (m.kind === "other" && !m.text && !m.caption) return el("div", "muted", "Сообщение, которое здесь не показать");
  return null;
}

function messageRow(m) {
  const msg = m.message;
  const row = el("div", `row ${m.from_bot ? "in" : "out"}`);
  row.dataset.messageId = m.message_id;
  const stack = el("div", "stack");
  const bubble = el("div", `bubble kind-${m.kind}`);
  if (msg.forward_origin) {
    const origin = msg.forward_origin;
    const who = senderName(origin.sender_user) || origin.sender_user_name || origin.chat?.title || "";
    bubble.append(el("div", "forwarded", "Переслано от " + who));
  }
  if (msg.reply_to_message) bubble.append(quoteOf(msg.reply_to_message));
  const media = mediaOf(m);
  if (media) bubble.append(media);
  const text = m.text ?? m.caption;
  if (text) bubble.append(richText(text, m.entities));
  const meta = el("span", "meta", (m.version > 0 ? "изменено " : "") + timeOf(m.edit_date || m.date));
  (bubble.lastElementChild?.classList.contains("text") ? bubble.lastElementChild : bubble).append(meta);
  stack.append(bubble);

  const inline = m.reply_markup?.inline_keyboard;
  if (inline && inline.length) stack.append(inlineKeyboard(m, inline));
  if (ADMIN && m.from_bot) {
    const reply = el("button", "reply-action", "Ответить");
    reply.type = "button";
    reply.addEventListener("click", () => setReplyTo(m));
    stack.append(reply);
  }
  row.append(stack);
  return row;
}

function inlineKeyboard(m, rows) {
  const box = el("div", "inline-kb");
  for (const buttons of rows) {
    const line = el("div", "kb-row");
    for (const button of buttons) {
      const b = el("button", "inline-btn", button.text);
      b.type = "button";
      if (button.url) b.classList.add("link");
      b.addEventListener("click", () => pressInline(m, button, b));
      line.append(b);
    }
    box.append(line);
  }
  return box;
}

function isNearBottom() {
  const s = ui.scroller;
  return s.scrollHeight - s.scrollTop - s.clientHeight < 120;
}

function keepBottom(force = false) {
  if (force || state.stickToBottom) ui.scroller.scrollTop = ui.scroller.scrollHeight;
}

function render(messages) {
  state.messages = messages;
  state.stickToBottom = isNearBottom();
  const visible = messages.filter((m) => !m.deleted);
  const seen = new Set();
  let added = false;
  visible.forEach((m, index) => {
    seen.add(m.message_id);
    const key = `${m.version}`;
    let view = state.views.get(m.message_id);
    if (!view || view.key !== key) {
      const row = messageRow(m);
      if (view) view.row.replaceWith(row);
      else added = true;
      view = { key, row };
      state.views.set(m.message_id, view);
    }
    const at = ui.messages.children[index];
    if (at !== view.row) ui.messages.insertBefore(view.row, at || null);
  });
  for (const [id, view] of state.views) {
    if (!seen.has(id)) {
      view.row.remove();
      state.views.delete(id);
    }
  }
  renderEmpty(visible.length === 0);
  renderKeyboard(messages);
  applyForceReply(messages);
  keepBottom(added);
}

function renderEmpty(empty) {
  if (!empty) {
    ui.notice.hidden = true;
    return;
  }
  if (ADMIN) {
    showNotice(el("div", null, `Здесь появятся сообщения, которые бот пришлёт администратору ` +
      `(пользователь ${state.user.id}). Нажмите «Ответить» под сообщением, чтобы ответить.`));
  } else {
    const start = el("button", "command", "/start");
    start.type = "button";
    start.addEventListener("click", () => sendCommand("/start"));
    showNotice([el("span", null, "Напишите "), start, el("span", null, ", чтобы начать разговор с ботом.")]);
  }
}

// ---------------------------------------------------------------------------------------------
// Reply keyboard, force_reply, reply bar

function currentKeyboard(messages) {
  for (let i = messages.length - 1; i >= 0; i -= 1) {
    const m = messages[i];
    if (!m.from_bot || !m.reply_markup) continue;
    if (m.reply_markup.keyboard) return { markup: m.reply_markup, messageId: m.message_id };
    if (m.reply_markup.remove_keyboard) return null;
  }
  return null;
}

function renderKeyboard(messages) {
  const next = currentKeyboard(messages);
  const changed = (next?.messageId || 0) !== (state.keyboard?.messageId || 0);
  state.keyboard = next;
  if (changed) {
    state.keyboardHidden = false;
    ui.keyboard.replaceChildren();
    if (next) {
      for (const buttons of next.markup.keyboard) {
        const line = el("div", "kb-row");
        for (const button of buttons) {
          const text = typeof button === "string" ? button : button.text;
          const b = el("button", "reply-btn", text);
          b.type = "button";
          if (button.request_contact) b.classList.add("contact-btn");
          b.addEventListener("click", () => pressReply(button));
          line.append(b);
        }
        ui.keyboard.append(line);
      }
    }
  }
  const placeholder = next?.markup.input_field_placeholder;
  if (!state.replyTo) ui.input.placeholder = placeholder || "Сообщение";
  showKeyboard(!state.keyboardHidden);
}

function showKeyboard(visible) {
  state.keyboardHidden = !visible;
  ui.keyboard.hidden = !state.keyboard || !visible;
  ui.kbToggle.hidden = !state.keyboard;
  ui.kbToggle.classList.toggle("active", Boolean(state.keyboard) && visible);
  ui.kbToggle.setAttribute("aria-label", visible ? "Скрыть кнопки" : "Показать кнопки");
}

function applyForceReply(messages) {
  const last = [...messages].reverse().find((m) => !m.deleted);
  if (!last || !last.from_bot || !last.reply_markup?.force_reply) return;
  if (state.forcedFor === last.message_id) return;
  state.forcedFor = last.message_id;
  setReplyTo(last, last.reply_markup.input_field_placeholder);
}

function setReplyTo(m, placeholder) {
  state.replyTo = m;
  ui.replyLabel.textContent = "Ответ: " + (m.from_bot ? state.bot.first_name : state.user.first_name);
  ui.replySnippet.textContent = snippetOf(m.message);
  ui.replyBar.hidden = false;
  ui.input.placeholder = placeholder || "Ваш ответ";
  ui.input.focus();
}

function clearReply() {
  state.replyTo = null;
  ui.replyBar.hidden = true;
  ui.input.placeholder = state.keyboard?.markup.input_field_placeholder || "Сообщение";
}

// ---------------------------------------------------------------------------------------------
// Acting as the user

let toastTimer = 0;
function toast(text) {
  ui.toast.textContent = text;
  ui.toast.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => {
    ui.toast.hidden = true;
  }, TOAST_MS);
}

function alertBox(text) {
  ui.alertText.textContent = text;
  ui.alert.hidden = false;
  ui.alertOk.focus();
}

async function act(request) {
  try {
    return await request();
  } catch (error) {
    toast(explain(error));
    return null;
  }
}

async function sendText() {
  const text = ui.input.value;
  if (!text.trim()) return;
  const body = { text, user: state.user };
  if (state.replyTo) body.reply_to_message_id = state.replyTo.message_id;
  ui.input.value = "";
  autosize();
  const sent = await act(() => api("POST", userPath("text"), body));
  if (sent) {
    clearReply();
    keepBottom(true);
  } else {
    ui.input.value = text;
    autosize();
  }
  ui.input.focus();
}

async function sendCommand(text) {
  if (!state.bot) return;
  await act(() => api("POST", userPath("text"), { text, user: state.user }));
  keepBottom(true);
}

async function pressReply(button) {
  const text = typeof button === "string" ? button : button.text;
  if (state.keyboard?.markup.one_time_keyboard) showKeyboard(false);
  await act(() => api("POST", userPath("button"), { text, user: state.user }));
}

async function pressInline(m, button, node) {
  if (button.url) {
    window.open(safeUrl(button.url), "_blank", "noopener");
    return;
  }
  if (!("callback_data" in button)) {
    toast("Такие кнопки здесь не поддерживаются");
    return;
  }
  node.classList.add("pending");
  const query = await act(() => api("POST", userPath("callback"), {
    message_id: m.message_id, data: button.callback_data, user: state.user,
  }));
  if (!query) {
    node.classList.remove("pending");
    return;
  }
  try {
    const answer = await api("GET", `bots/${state.bot.id}/callback_answers/${query.id}?timeout=15`);
    if (answer.text) (answer.show_alert ? alertBox : toast)(answer.text);
    if (answer.url) window.open(safeUrl(answer.url), "_blank", "noopener");
  } catch (error) {
    if (error instanceof ApiError && error.status === 408) toast("Бот не ответил на нажатие кнопки");
  } finally {
    node.classList.remove("pending");
  }
}

async function sendFile(file) {
  const isImage = file.type.startsWith("image/");
  const form = new FormData();
  form.append(isImage ? "photo" : "document", file, file.name);
  const caption = ui.input.value.trim();
  if (caption) form.append("caption", caption);
  form.append("user", JSON.stringify(state.user));
  const sent = await act(() => api("POST", userPath(isImage ? "photo" : "document"), form));
  if (sent && caption) {
    ui.input.value = "";
    autosize();
  }
  keepBottom(true);
}

function autosize() {
  ui.input.style.height = "auto";
  ui.input.style.height = Math.min(ui.input.scrollHeight, 140) + "px";
}

// ---------------------------------------------------------------------------------------------
// Live updates: long-poll the chat's changes (the server answers as soon as anything changed)

function setOnline(online) {
  if (online === state.online) return;
  state.online = online;
  updateSubtitle();
}

function updateSubtitle() {
  if (!state.online) {
    ui.subtitle.textContent = "нет связи с сервером…";
    return;
  }
  ui.subtitle.textContent = ADMIN
    ? `администратор, id ${state.user.id}`
    : `вы: ${state.user.first_name}, ${state.user.phone_number}`;
}

async function follow() {
  let delay = 500;
  let timeout = 0; // the first request answers at once with the chat as it is
  for (;;) {
    try {
      const path = `bots/${state.bot.id}/chats/${state.user.id}/changes?since=${state.version}&timeout=${timeout}`;
      const snapshot = await api("GET", path);
      if (snapshot.version < state.version) {
        // the server was reset or restarted: start over
        await register();
        state.views.clear();
        ui.messages.replaceChildren();
      }
      state.version = snapshot.version;
      render(snapshot.messages);
      setOnline(true);
      timeout = POLL_SECONDS;
      delay = 500;
    } catch (error) {
      setOnline(false);
      await sleep(delay);
      delay = Math.min(delay * 2, 10_000);
      timeout = 0;
    }
  }
}

async function register() {
  await api("PUT", `users/${state.user.id}`, state.user);
  if (ADMIN) await api("POST", userPath("open"), { user: state.user });
}

// ---------------------------------------------------------------------------------------------

function wire() {
  ui.composer.addEventListener("submit", (event) => {
    event.preventDefault();
    sendText();
  });
  ui.input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      sendText();
    }
  });
  ui.input.addEventListener("input", autosize);
  ui.scroller.addEventListener("scroll", () => {
    state.stickToBottom = isNearBottom();
  });
  ui.attach.addEventListener("click", () => ui.file.click());
  ui.file.addEventListener("change", () => {
    const [file] = ui.file.files;
    ui.file.value = "";
    if (file) sendFile(file);
  });
  ui.kbToggle.addEventListener("click", () => showKeyboard(state.keyboardHidden));
  ui.replyCancel.addEventListener("click", clearReply);
  ui.alertOk.addEventListener("click", () => {
    ui.alert.hidden = true;
  });
  ui.newUser.addEventListener("click", () => {
    sessionStorage.removeItem(STORAGE_KEY);
    const next = new URLSearchParams(params);
    next.delete("user");
    next.delete("name");
    location.search = next.toString();
  });
}

async function main() {
  wire();
  state.user = await chooseUser();
  ui.newUser.hidden = ADMIN;
  document.body.classList.toggle("admin", ADMIN);
  ui.title.textContent = ADMIN ? "Администратор" : "Чат с ботом";
  ui.subtitle.textContent = "ждём бота…";
  const bot = await chooseBot();
  if (!bot) return;
  state.bot = bot;
  const name = bot.first_name || `Бот ${bot.id}`;
  ui.title.textContent = name;
  if (bot.username) ui.title.title = "@" + bot.username;
  ui.avatar.textContent = name.trim().charAt(0).toUpperCase() || "?";
  document.title = ADMIN ? `${name}: администратор` : `${name}: чат`;
  updateSubtitle();
  ui.notice.hidden = true;
  for (let delay = 500; ; delay = Math.min(delay * 2, 10_000)) {
    try {
      await register();
      break;
    } catch (error) {
      setOnline(false);
      await sleep(delay);
    }
  }
  ui.input.disabled = false;
  ui.send.disabled = false;
  ui.attach.disabled = false;
  ui.input.focus();
  document.body.dataset.ready = "true";
  follow();
}

main();
