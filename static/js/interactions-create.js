// Create Interaction: fill the description from the chosen template, and show the personal note and the
// letter preview only for templates with a letter. Without JavaScript everything stays visible and works.
document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("create-interaction");
  if (!form) return;
  const select = form.querySelector("select[name=template]");
  const description = form.querySelector("input[name=description]");
  let filled = "";
  const update = (fillDescription) => {
    const option = select.selectedOptions[0];
    const kind = option ? option.dataset.kind || "" : "";
    form.querySelectorAll("[data-letter-only]").forEach((el) => { el.hidden = !kind; });
    if (fillDescription && option && option.value && (!description.value || description.value === filled)) {
      description.value = option.dataset.description || "";
      filled = description.value;
    }
  };
  select.addEventListener("change", () => update(true));
  update(false);
});

// Leaving the page with unsaved input asks "Do you want to finish this interaction later?" (reference 2.1,
// docs/BEHAVIOUR.md §2): Yes saves it postponed through the "Finish later" button and then goes where the user was
// going, No leaves without saving. Closing the tab gets the browser's own "leave the page?" prompt, which cannot
// save. Without JavaScript the "Finish later" button does the same job.
document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("create-interaction");
  const dialog = document.getElementById("finish-later-dialog");
  if (!form || !dialog) return;
  const state = () => new URLSearchParams(new FormData(form)).toString();
  const start = state();
  let leaving = false;
  let target = "";
  // A submit leaves the page, except "Preview letter" (its own formaction), which only downloads the letter.
  form.addEventListener("submit", (event) => {
    if (!(event.submitter && event.submitter.hasAttribute("formaction"))) leaving = true;
  });
  const dirty = () => !leaving && state() !== start;
  window.addEventListener("beforeunload", (event) => {
    if (dirty()) { event.preventDefault(); event.returnValue = ""; }
  });
  document.addEventListener("click", (event) => {
    const link = event.target.closest("a[href]");
    if (!link || event.defaultPrevented || link.target || link.hasAttribute("download")) return;
    if (event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return;
    if (link.getAttribute("href").startsWith("#") || !dirty()) return;
    event.preventDefault();
    target = link.href;
    dialog.showModal();
  });
  dialog.addEventListener("click", (event) => {
    const button = event.target.closest("button[value]");
    if (!button) return;
    dialog.close();
    if (button.value === "yes") {
      form.elements.next.value = target;
      form.requestSubmit(form.querySelector("button[name=finish_later]"));
    } else if (button.value === "no") {
      leaving = true;
      window.location.assign(target);
    }
  });
});
