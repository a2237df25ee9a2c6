/* Seeing and Doing: start a chapter's reveal.js deck (tools/build_slides.py).
 *
 * Every slide is 1280x720. A slide whose content is taller or wider is set in
 * a smaller font (images are sized in em, so they shrink with it), never
 * below options.minFit of the normal size; data-fit on the slide says how
 * much, and data-overflow="yes" marks a slide that still does not fit (the
 * tests look for it). Everything, MathJax included, is served from beside
 * the deck: nothing comes from the network.
 */
"use strict";

function startDeck(options) {
  const width = 1280;
  const height = 720;
  const minFit = options.minFit;

  const overflows = (slide) =>
    slide.scrollHeight > height + 1 ||
    slide.scrollWidth > width + 1 ||
    [...slide.querySelectorAll("pre, table, .highlight, .output")].some(
      (box) => box.scrollWidth > box.clientWidth + 1,
    );

  const fit = (slide) => {
    if (!slide || slide.classList.contains("stack")) return 1;
    let scale = 1;
    slide.style.fontSize = "";
    while (overflows(slide) && scale > minFit + 1e-9) {
      scale = Math.max(minFit, Math.round((scale - 0.05) * 100) / 100);
      slide.style.fontSize = `${scale}em`;
    }
    slide.dataset.fit = String(scale);
    slide.dataset.overflow = overflows(slide) ? "yes" : "no";
    return scale;
  };

  let typeset;
  const mathReady = new Promise((resolve) => {
    typeset = resolve;
  });
  const imagesReady = Promise.all(
    [...document.images].map((img) =>
      img.complete
        ? Promise.resolve()
        : new Promise((done) => {
            img.addEventListener("load", done, { once: true });
            img.addEventListener("error", done, { once: true });
          }),
    ),
  );

  Reveal.on("slidechanged", (event) => fit(event.currentSlide));
  const revealReady = Reveal.initialize({
    width,
    height,
    margin: 0.04,
    center: false,
    hash: true,
    slideNumber: "c/t",
    transition: "none",
    plugins: [RevealMath.MathJax3, RevealNotes],
    mathjax3: {
      mathjax: "_static/mathjax/tex-mml-chtml.js",
      tex: {
        inlineMath: [["\\(", "\\)"]],
        displayMath: [["\\[", "\\]"]],
      },
      startup: {
        ready: () => {
          MathJax.startup.defaultReady();
          MathJax.startup.promise.then(typeset);
        },
      },
    },
  });

  // The deck is ready when reveal.js, the math, the fonts and the images
  // are: then the current slide is fitted (again).
  window.deckReady = Promise.all([
    revealReady,
    mathReady,
    imagesReady,
    document.fonts.ready,
  ]).then(() => {
    Reveal.layout();
    return fit(Reveal.getCurrentSlide());
  });
  window.fitSlide = fit;
}
