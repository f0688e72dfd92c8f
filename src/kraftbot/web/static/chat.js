// KraftBot's chat page: asks /api/ask, reads its server-sent events, keeps the conversation in the
// browser (localStorage) so a reload keeps it. Only ⏳ status lines are ever removed; the answer is
// shown once, whole.
"use strict";

const STORE_KEY = "kraftbot-samtal";
const CONVERSATION_KEY = "kraftbot-samtal-id";
const conversation = document.getElementById("conversation");
const form = document.getElementById("ask");
const input = document.getElementById("question");
const sendButton = document.getElementById("send");
const stopButton = document.getElementById("stop");
let turns = load();
let running = null; // the AbortController of the question being answered

function load() {
  try { return JSON.parse(localStorage.getItem(STORE_KEY)) || []; } catch (e) { return []; }
}
function save() { localStorage.setItem(STORE_KEY, JSON.stringify(turns)); }
// One id per conversation, so staff can read a conversation's answers together.
function conversationId() {
  let id = localStorage.getItem(CONVERSATION_KEY);
  if (!id) {
    // getRandomValues, not randomUUID: the page may be served over plain HTTP inside a municipality.
    id = Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
    localStorage.setItem(CONVERSATION_KEY, id);
  }
  return id;
}

function escapeHtml(text) {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
}
function safeUrl(url) { return /^https?:\/\//i.test(url) ? url : "#"; }

// The answer's light Markdown: paragraphs, **bold**, [title](url) links and [n] citation marks.
function render(text, turnIndex) {
  return text.trim().split(/\n\s*\n/).map((paragraph) => {
    let html = escapeHtml(paragraph.trim());
    html = html.replace(/\[([^\]]+)\]\((https?:[^)\s]+)\)/g, (m, title, url) => `<a href="${safeUrl(url)}" target="_blank" rel="noopener">${title}</a>`);
    html = html.replace(/\*\*([^*]+)\*\*/g, "<strong>$1</strong>");
    html = html.replace(/\[(\d+)\]/g, (m, n) => `<a href="#kalla-${turnIndex}-${n}" aria-label="källa ${n}"><sup>[${n}]</sup></a>`);
    return `<p>${html.replace(/\n/g, "<br>")}</p>`;
  }).join("");
}

function sourcesHtml(sources) {
  if (!sources || !sources.length) return "";
  const items = sources.map((s) => {
    const meta = [s.doc_type, s.date, s.page ? `s. ${s.page}` : ""].filter(Boolean).join(", ");
    const title = s.url ? `<a href="${safeUrl(s.url)}" target="_blank" rel="noopener">${escapeHtml(s.title)}</a>` : escapeHtml(s.title);
    return `<li>${title}${meta ? ` <span class="meta">(${escapeHtml(meta)})</span>` : ""}</li>`;
  }).join("");
  return `<div class="sources"><h3>Hittade källor</h3><ul>${items}</ul></div>`;
}

function citedHtml(answer, turnIndex) {
  if (answer.refused || !answer.citations.length) return "";
  const items = answer.citations.map((c) => {
    const page = c.page ? `, s. ${escapeHtml(c.page)}` : "";
    return `<li id="kalla-${turnIndex}-${c.n}"><a href="${safeUrl(c.url)}" target="_blank" rel="noopener">${escapeHtml(c.title)}</a>${page}` +
      `<blockquote>”${escapeHtml(c.quote)}”</blockquote></li>`;
  }).join("");
  return `<div class="cited"><h3>Citat ur källorna</h3><ol>${items}</ol></div>`;
}

const NOT_SAVED = "Svaret kunde inte sparas, så återkoppling på det går inte att lämna just nu.";

function feedbackHtml(turn) {
  if (!turn.answer) return "";
  if (turn.feedback) return `<p class="thanks">Tack för din återkoppling!</p>`;
  if (!turn.answer.id) return `<p class="feedback-error" role="status">${NOT_SAVED}</p>`;
  const failed = turn.feedbackError ? `<p class="feedback-error" role="alert">${escapeHtml(turn.feedbackError)}</p>` : "";
  return `<div class="feedback" role="group" aria-label="Återkoppling på svaret">
    <button type="button" class="up" aria-label="Bra svar">👍 Bra svar</button>
    <button type="button" class="down" aria-label="Dåligt svar">👎 Dåligt svar</button>
    <div class="comment" hidden>
      <label>Vad var fel? (frivilligt)<textarea rows="2" maxlength="4000"></textarea></label>
      <button type="button" class="send-comment">Skicka återkoppling</button>
    </div>${failed}</div>`;
}

function renderTurn(turn, index) {
  let element = conversation.querySelector(`[data-turn="${index}"]`);
  if (!element) {
    element = document.createElement("article");
    element.className = "turn";
    element.dataset.turn = index;
    conversation.appendChild(element);
  }
  // While the answer forms, its checked sentences so far; the whole answer has the same lead, then its quotes.
  const forming = !turn.answer && turn.sentences && turn.sentences.length ? `<div class="answer">${render(turn.sentences.join(" "), index)}</div>` : "";
  const answer = turn.answer ? `<div class="answer">${render(turn.answer.text, index)}${citedHtml(turn.answer, index)}</div>` : forming;
  const error = turn.error ? `<p class="error" role="alert">${escapeHtml(turn.error)}</p>` : "";
  const status = turn.status ? `<p class="status">${escapeHtml(turn.status)}</p>` : "";
  element.innerHTML = `<p class="question">${escapeHtml(turn.question)}</p>${sourcesHtml(turn.sources)}${status}${answer}${error}${feedbackHtml(turn)}`;
  bindFeedback(element, turn);
}

function renderAll() {
  conversation.innerHTML = "";
  turns.forEach(renderTurn);
}

function bindFeedback(element, turn) {
  const up = element.querySelector(".feedback .up");
  if (!up) return;
  const comment = element.querySelector(".comment");
  up.addEventListener("click", () => sendFeedback(turn, "up", ""));
  element.querySelector(".down").addEventListener("click", () => { comment.hidden = false; comment.querySelector("textarea").focus(); });
  element.querySelector(".send-comment").addEventListener("click", () => sendFeedback(turn, "down", comment.querySelector("textarea").value));
}

async function sendFeedback(turn, rating, comment) {
  turn.feedbackError = null;
  try {
    const response = await fetch("/api/feedback", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ answer_id: turn.answer.id, rating, comment }),
    });
    turn.feedback = response.ok ? rating : null;
    if (!response.ok) {
      const body = await response.json().catch(() => ({}));
      turn.feedbackError = (body.error && body.error.message) || body.detail || "Återkopplingen kunde inte sparas.";
    }
  } catch (error) {
    turn.feedbackError = "Återkopplingen kunde inte skickas. Försök igen om en stund.";
  }
  save();
  renderTurn(turn, turns.indexOf(turn));
}

// Server-sent events from a POST: "event: name\ndata: json" blocks separated by blank lines.
async function readEvents(response, onEvent) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const name = (block.match(/^event: (.*)$/m) || [])[1];
      const data = (block.match(/^data: (.*)$/m) || [])[1];
      if (name) onEvent(name, data ? JSON.parse(data) : {});
    }
  }
}

async function ask(question) {
  const history = turns.map((t) => t.question);
  const turn = { question, sources: [], sentences: [], status: "⏳ Skickar frågan …", answer: null, error: null, feedback: null };
  turns.push(turn);
  const index = turns.length - 1;
  renderTurn(turn, index);
  running = new AbortController();
  sendButton.disabled = true;
  stopButton.disabled = false;
  try {
    const response = await fetch("/api/ask", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ question, history, conversation: conversationId() }), signal: running.signal,
    });
    if (response.status === 429 || response.status === 401) {
      turn.error = (await response.json()).error.message; // the server's Swedish message
      return;
    }
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    await readEvents(response, (name, data) => {
      if (name === "queue" || name === "status") turn.status = data.text;
      else if (name === "sources") turn.sources = data.sources;
      else if (name === "sentence") turn.sentences.push(data.text);
      else if (name === "answer") { turn.answer = data; turn.status = null; }
      else if (name === "error") { turn.error = data.text; turn.status = null; }
      else if (name === "done") turn.status = null;
      renderTurn(turn, index);
    });
  } catch (error) {
    turn.error = error.name === "AbortError" ? "Frågan avbröts." : "KraftBot går inte att nå just nu. Försök igen om en stund.";
  } finally {
    turn.status = null;
    running = null;
    sendButton.disabled = false;
    stopButton.disabled = true;
    save();
    renderTurn(turn, index);
  }
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  const question = input.value.trim();
  if (!question || running) return;
  input.value = "";
  ask(question);
});
input.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); form.requestSubmit(); }
});
stopButton.addEventListener("click", () => { if (running) running.abort(); });
document.getElementById("new").addEventListener("click", () => {
  if (running) running.abort();
  turns = [];
  save();
  localStorage.removeItem(CONVERSATION_KEY);
  renderAll();
  input.focus();
});
// Signing out also forgets the conversation kept in this browser (a shared computer).
const signOut = document.querySelector(".signout");
if (signOut) signOut.addEventListener("submit", () => {
  localStorage.removeItem(STORE_KEY);
  localStorage.removeItem(CONVERSATION_KEY);
});
document.querySelectorAll(".example").forEach((button) => button.addEventListener("click", () => {
  input.value = button.textContent;
  form.requestSubmit();
}));
renderAll();
