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

  // Letters and digits count; marks and tatweel are not letters the index sees.
  const LETTER = /[\p{L}\p{N}]/u;
  const TATWEEL = "\u0640";

  // A completion is the typed text with its last word completed: the part typed
  // (as many letters as the user typed of that word) stays plain, the rest is bold.
  function split(typed, word) {
    const text = typed.trimEnd();
    const last = text.match(/[\p{L}\p{M}\p{N}\p{Cf}]*$/u)[0];
    const head = text.slice(0, text.length - last.length);
    if (!word.startsWith(head)) return [word, ""];
    let wanted = Array.from(last).filter((c) => LETTER.test(c) && c !== TATWEEL).length;
    let end = head.length;
    for (const c of word.slice(head.length)) {
      if (wanted === 0) break;
      if (LETTER.test(c) && c !== TATWEEL) wanted -= 1;
      end += c.length;
    }
    return [word.slice(0, end), word.slice(end)];
  }

  function show(words, typed) {
    if (!words.length) return close();
    list.replaceChildren(...words.map((word, i) => {
      const item = document.createElement("li");
      item.id = "suggestion-" + i;
      item.setAttribute("role", "option");
      const [plain, rest] = split(typed, word);
      const completion = document.createElement("b");
      completion.textContent = rest;  // text nodes, never HTML
      item.append(document.createTextNode(plain), completion);
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
      if (mine === request && input.value === text) show(data.suggestions || [], text);
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
