// Contact pickers: a text field for a contact's number (input[data-contact-picker]) becomes a combobox that
// suggests contacts by number, name or company name as the user types (GET data-lookup-url?q=…, at most 20).
// ARIA combobox pattern: the input has role=combobox, aria-expanded and aria-activedescendant; the suggestions
// are a listbox of options. Keys: ↓/↑ move, Enter chooses, Escape closes. Choosing puts the contact's number in
// the field (what the form posts, as without JavaScript) and shows its name beside it. A picker with
// data-navigate="/contacts/0/" opens the chosen contact instead (the search box of the navigation bar).
(() => {
  let counter = 0;

  const setup = (input) => {
    counter += 1;
    const id = `contact-picker-${counter}`;
    const wrapper = document.createElement("div");
    wrapper.className = "picker";
    input.parentNode.insertBefore(wrapper, input);
    wrapper.appendChild(input);
    const list = document.createElement("ul");
    list.id = `${id}-list`;
    list.className = "picker-list";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", "Suggested contacts");
    list.hidden = true;
    wrapper.appendChild(list);
    const status = document.createElement("span");
    status.className = "picker-status";
    status.setAttribute("aria-live", "polite");
    wrapper.appendChild(status);

    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", list.id);

    let results = [];
    let active = -1;
    let timer = null;
    let pending = null;
    let lastText = null;

    const close = () => {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    };

    const highlight = (index) => {
      const options = list.querySelectorAll("[role=option]");
      options.forEach((option, i) => option.setAttribute("aria-selected", i === index ? "true" : "false"));
      active = index;
      if (index < 0) {
        input.removeAttribute("aria-activedescendant");
        return;
      }
      input.setAttribute("aria-activedescendant", options[index].id);
      options[index].scrollIntoView({ block: "nearest" });
    };

    const describe = (result) =>
      result.company_name && result.company_name !== result.name ? `${result.name} · ${result.company_name}` : result.name;

    const render = () => {
      list.replaceChildren();
      results.forEach((result, index) => {
        const option = document.createElement("li");
        option.id = `${id}-option-${index}`;
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", "false");
        const no = document.createElement("span");
        no.className = "picker-no";
        no.textContent = result.no;
        const name = document.createElement("span");
        name.className = "picker-name";
        name.textContent = result.name;
        option.append(no, name);
        if (result.company_name && result.company_name !== result.name) {
          const company = document.createElement("span");
          company.className = "picker-company";
          company.textContent = result.company_name;
          option.append(company);
        }
        option.addEventListener("mousedown", (event) => {
          event.preventDefault(); // keep the focus in the field
          choose(index);
        });
        list.appendChild(option);
      });
      const open = results.length > 0;
      list.hidden = !open;
      input.setAttribute("aria-expanded", open ? "true" : "false");
      active = -1;
      input.removeAttribute("aria-activedescendant");
      if (open) {
        status.textContent = `${results.length} suggestion${results.length === 1 ? "" : "s"}`;
      } else {
        status.textContent = lastText ? "No contact found. Type a number or the start of a name." : "";
      }
    };

    const search = () => {
      const text = input.value.trim();
      if (text === lastText) return;
      lastText = text;
      if (pending) pending.abort();
      if (!text) {
        results = [];
        render();
        return;
      }
      const url = new URL(input.dataset.lookupUrl, window.location.href);
      url.searchParams.set("q", text);
      if (input.dataset.kind) url.searchParams.set("kind", input.dataset.kind);
      pending = new AbortController();
      fetch(url, { headers: { Accept: "application/json" }, signal: pending.signal, credentials: "same-origin" })
        .then((response) => (response.ok ? response.json() : { results: [] }))
        .then((data) => {
          if (input.value.trim() !== text) return; // an older answer
          results = data.results || [];
          render();
        })
        .catch((error) => {
          if (error.name !== "AbortError") status.textContent = "Suggestions are not available; type the number.";
        });
    };

    const choose = (index) => {
      const result = results[index];
      if (!result) return;
      close();
      if (input.dataset.navigate) {
        window.location.assign(input.dataset.navigate.replace(/\/0\/$/, `/${result.id}/`));
        return;
      }
      input.value = result.no;
      lastText = result.no;
      status.textContent = describe(result);
      input.dispatchEvent(new Event("change", { bubbles: true }));
    };

    input.addEventListener("input", () => {
      status.textContent = "";
      clearTimeout(timer);
      timer = setTimeout(search, 150);
    });
    input.addEventListener("keydown", (event) => {
      const open = !list.hidden;
      if (event.key === "ArrowDown") {
        event.preventDefault();
        if (!open) {
          lastText = null;
          search();
          return;
        }
        highlight(Math.min(active + 1, results.length - 1));
      } else if (event.key === "ArrowUp") {
        if (!open) return;
        event.preventDefault();
        highlight(Math.max(active - 1, 0));
      } else if (event.key === "Enter") {
        if (open && active >= 0) {
          event.preventDefault(); // choose, do not submit the form
          choose(active);
        }
      } else if (event.key === "Escape") {
        if (open) {
          event.preventDefault();
          close();
        }
      }
    });
    input.addEventListener("blur", () => close());
  };

  const start = () => document.querySelectorAll("input[data-contact-picker]").forEach(setup);
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
