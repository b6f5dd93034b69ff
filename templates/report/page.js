// The page's only script (allowed by its hash in the Content-Security-Policy): the filter and the keyboard.
// It reads the cards' data-* attributes and never writes markup, only attributes.
(() => {
  const cards = Array.from(document.querySelectorAll('article.card'));
  const buttons = Array.from(document.querySelectorAll('.filter button'));
  const empty = document.querySelector('.empty');
  const matches = (card, filter) => filter === 'all' || (filter === 'failed' && card.dataset.failed === '1') || (filter === 'changed' && card.dataset.changed === '1');

  function setFilter(filter) {
    document.body.dataset.filter = filter;
    let shown = 0;
    for (const card of cards) {
      const show = matches(card, filter);
      card.hidden = !show;
      if (show) shown++;
      else card.querySelectorAll('video').forEach((v) => v.pause());
    }
    for (const b of buttons) b.setAttribute('aria-pressed', String(b.dataset.filter === filter));
    if (empty) empty.hidden = shown > 0;
  }
  for (const b of buttons) b.addEventListener('click', () => setFilter(b.dataset.filter));

  const visible = () => cards.filter((c) => !c.hidden);
  const currentCard = () => (document.activeElement instanceof Element ? document.activeElement.closest('article.card') : null);

  function move(step) {
    const list = visible();
    if (list.length === 0) return;
    const at = list.indexOf(currentCard());
    const next = list[at === -1 ? (step > 0 ? 0 : list.length - 1) : Math.min(list.length - 1, Math.max(0, at + step))];
    next.focus({ preventScroll: true });
    next.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
  }

  function togglePlay() {
    const card = currentCard() || visible()[0];
    const video = card && card.querySelector('video.main');
    if (!video) return;
    if (video.paused) {
      for (const v of document.querySelectorAll('video')) if (v !== video) v.pause();
      video.play().catch(() => {});
    } else {
      video.pause();
    }
  }

  document.addEventListener('keydown', (e) => {
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    // Controls keep their own keys: a video's arrows and space, a button's or link's space.
    const target = e.target instanceof Element ? e.target : null;
    if (target && target.closest('video, input, textarea, select')) return;
    if (e.key === ' ' && target && target.closest('button, summary, a')) return;
    if (e.key === 'ArrowRight' || e.key === 'ArrowDown' || e.key === 'j') {
      e.preventDefault();
      move(1);
    } else if (e.key === 'ArrowLeft' || e.key === 'ArrowUp' || e.key === 'k') {
      e.preventDefault();
      move(-1);
    } else if (e.key === ' ') {
      e.preventDefault();
      togglePlay();
    }
  });
})();
