// Small progressive enhancements; every page works without them.
document.addEventListener("click", (event) => {
  // <button data-confirm="…"> asks before submitting its form.
  const button = event.target.closest("[data-confirm]");
  if (button && !window.confirm(button.dataset.confirm)) {
    event.preventDefault();
  }
  // A "select all" checkbox for bulk actions on list pages.
  const all = event.target.closest("input[data-select-all]");
  if (all) {
    document.querySelectorAll(`input[name="${all.dataset.selectAll}"]`).forEach((box) => { box.checked = all.checked; });
  }
});
