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
