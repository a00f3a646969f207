// Autocomplete for the search box: words from the index as you type, chosen
// with the mouse or the keyboard. The page works the same without it.
(function () {
  "use strict";
  const input = document.getElementById("q");
  const list = document.getElementById("suggestions");
  if (!input || !list || !window.fetch) return;

  let timer = null;
  let active = -1;
  let request = 0;

  function close() {
    list.hidden = true;
    list.replaceChildren();
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    active = -1;
  }

  function choose(index) {
    const items = list.querySelectorAll("li");
    items.forEach((item, i) => item.setAttribute("aria-selected", i === index ? "true" : "false"));
    active = index;
    if (index >= 0) input.setAttribute("aria-activedescendant", items[index].id);
  }

  function show(words) {
    if (!words.length) return close();
    list.replaceChildren(...words.map((word, i) => {
      const item = document.createElement("li");
      item.id = "suggestion-" + i;
      item.setAttribute("role", "option");
      item.textContent = word;  // text, never HTML
      item.addEventListener("mousedown", (event) => {
        event.preventDefault();
        input.value = word;
        close();
        input.form.submit();
      });
      return item;
    }));
    list.hidden = false;
    input.setAttribute("aria-expanded", "true");
    active = -1;
  }

  async function load() {
    const text = input.value;
    if (!text.trim()) return close();
    const mine = ++request;
    try {
      const response = await fetch("/api/suggest?limit=8&q=" + encodeURIComponent(text));
      if (!response.ok || mine !== request) return;
      const data = await response.json();
      if (mine === request && input.value === text) show(data.suggestions || []);
    } catch (error) {
      close();
    }
  }

  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(load, 150);
  });
  input.addEventListener("keydown", (event) => {
    const items = list.querySelectorAll("li");
    if (list.hidden || !items.length) return;
    if (event.key === "ArrowDown") {
      event.preventDefault();
      choose((active + 1) % items.length);
    } else if (event.key === "ArrowUp") {
      event.preventDefault();
      choose(active <= 0 ? items.length - 1 : active - 1);
    } else if (event.key === "Enter" && active >= 0) {
      event.preventDefault();
      input.value = items[active].textContent;
      close();
      input.form.submit();
    } else if (event.key === "Escape") {
      event.preventDefault();  // close the list only; a second Escape clears the box as usual
      close();
    }
  });
  input.addEventListener("blur", () => setTimeout(close, 100));
})();
