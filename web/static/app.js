// Progressive enhancement only: the pages work without this file.
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("button.copy").forEach((button) => {
    button.addEventListener("click", async () => {
      const text = button.dataset.citation;
      try {
        await navigator.clipboard.writeText(text);
        button.textContent = "Copied";
      } catch (err) {
        const range = document.createRange();
        range.selectNodeContents(button.parentElement.querySelector(".cite-text"));
        const sel = window.getSelection(); sel.removeAllRanges(); sel.addRange(range);
        button.textContent = "Press Ctrl+C";
      }
      setTimeout(() => { button.textContent = "Copy citation"; }, 2000);
    });
  });
  const target = location.hash && document.getElementById(location.hash.slice(1));
  if (target) { target.classList.add("cited"); target.scrollIntoView({block: "center"}); target.focus({preventScroll: true}); }
});
