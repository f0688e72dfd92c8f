// The staff pages: progress bars of background jobs follow /admin/jobb/{id}; the page reloads when
// a job it shows has finished, so the new index or run appears.
"use strict";

const STATES = { queued: "I kö", running: "Pågår", done: "Klart", failed: "Misslyckades" };

async function follow(element) {
  const bar = element.querySelector("progress");
  const state = element.querySelector(".job-state");
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    let job;
    try {
      const response = await fetch(`/admin/jobb/${element.dataset.job}`, { headers: { Accept: "application/json" } });
      if (!response.ok) return;
      job = await response.json();
    } catch (error) { continue; }
    bar.value = job.percent;
    state.textContent = STATES[job.state] + (job.total ? ` (${job.done} av ${job.total})` : "");
    if (job.state === "done" || job.state === "failed") { window.location.reload(); return; }
  }
}
document.querySelectorAll(".job[data-state=queued], .job[data-state=running]").forEach(follow);
// Forms that change something for good ask first (no inline handlers: the pages' CSP allows none).
document.querySelectorAll("form.confirm").forEach((form) => form.addEventListener("submit", (event) => {
  if (!window.confirm(form.dataset.question)) event.preventDefault();
}));
