// Progressive enhancement only: the pages work without this file (and the CSP allows no inline script).
"use strict";

function announce(text) {
  const live = document.getElementById("announce");
  if (live) { live.textContent = ""; setTimeout(() => { live.textContent = text; }, 50); }
}

async function copyText(text, fallbackElement) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch (err) {
    // No clipboard API outside https or localhost: select the visible citation and copy that.
    fallbackElement.hidden = false;
    const range = document.createRange();
    range.selectNodeContents(fallbackElement);
    const selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    return document.execCommand("copy");
  }
}

function setUpCopyButtons() {
  document.querySelectorAll("button.copy").forEach((button) => {
    const citeText = button.parentElement.querySelector(".cite-text");
    const label = button.querySelector(".copy-label");
    button.hidden = false;
    citeText.hidden = true;
    button.addEventListener("click", async () => {
      const copied = await copyText(button.dataset.citation, citeText);
      label.textContent = copied ? "Copied" : "Press Ctrl+C to copy";
      announce(copied ? "Citation copied" : "Citation selected; press Ctrl+C to copy it");
      setTimeout(() => { label.textContent = "Copy citation"; }, 2500);
    });
  });
}

// The sticky bar and the contents list follow the cited passage (the server already marks the
// one named by ?span=; a bare #p-START-END fragment reaches only this script).
function showReadingPosition(passage) {
  const bar = document.getElementById("reading-bar");
  const section = document.getElementById("reading-section");
  if (!bar || !section) return;
  section.textContent = passage.dataset.section ? "§ " + passage.dataset.section : "Before the first heading";
  bar.classList.add("reading");
  document.querySelectorAll("nav.toc a[aria-current]").forEach((a) => a.removeAttribute("aria-current"));
  const link = passage.dataset.heading && document.querySelector(`nav.toc a[href="#${passage.dataset.heading}"]`);
  if (link) link.setAttribute("aria-current", "location");
}

function showCitedPassage() {
  const target = location.hash && document.getElementById(decodeURIComponent(location.hash.slice(1)));
  if (!target || !target.classList.contains("passage")) return;
  document.querySelectorAll(".passage.cited").forEach((el) => el.classList.remove("cited"));
  target.classList.add("cited");
  showReadingPosition(target);
  target.scrollIntoView({block: "start"});
  target.focus({preventScroll: true});
}

// Helpful / Not helpful: kept in place through the API; without this script the form posts to /feedback.
function setUpFeedback() {
  document.querySelectorAll("form.feedback").forEach((form) => {
    // the button pressed: event.submitter, or the last one clicked where a browser lacks it
    form.addEventListener("click", (event) => {
      if (event.target.name === "helpful") form.dataset.pressed = event.target.value;
    });
    form.addEventListener("submit", async (event) => {
      const pressed = event.submitter ? event.submitter.value : form.dataset.pressed;
      if (pressed !== "1" && pressed !== "0") return;   // not known here: the plain form post decides
      event.preventDefault();
      const status = form.querySelector(".feedback-status");
      const data = new FormData(form);
      const body = {q: data.get("q"), doc: data.get("doc"), start: Number(data.get("start")),
                    end: Number(data.get("end")), helpful: pressed === "1"};
      form.querySelectorAll("button").forEach((b) => { b.disabled = true; });
      try {
        const response = await fetch("/api/feedback", {method: "POST", headers: {"Content-Type": "application/json"},
                                                        body: JSON.stringify(body)});
        if (response.status !== 201) {
          const answer = await response.json().catch(() => null);
          throw new Error(answer && answer.error ? answer.error.message : "it could not be kept");
        }
        const text = body.helpful ? "Thank you: marked helpful" : "Thank you: marked not helpful";
        status.textContent = text;
        form.classList.add("sent");
        announce(text);
      } catch (err) {
        status.textContent = "Feedback not kept: " + err.message;
        form.querySelectorAll("button").forEach((b) => { b.disabled = false; });
      }
    });
  });
}

document.addEventListener("DOMContentLoaded", () => {
  setUpCopyButtons();
  setUpFeedback();
  const box = document.querySelector("form.search input#q");
  if (box && document.activeElement === box) box.setSelectionRange(box.value.length, box.value.length);
  if (window.matchMedia("(min-width: 64rem)").matches) {
    document.querySelectorAll("details[data-open-wide]").forEach((details) => { details.open = true; });
  }
  showCitedPassage();
  window.addEventListener("hashchange", showCitedPassage);
});
