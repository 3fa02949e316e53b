/*
 * Starts NHS.UK frontend's JavaScript (header menu, error summary focus, character
 * counts, password reveal, file upload, notification banners...) on the page, and again
 * on any content htmx swaps in.
 *
 * Static files are served flat under /static/, so nhsuk/ sits beside js/.
 */
import { initAll } from '../nhsuk/nhsuk-frontend.min.js';

initAll();

document.addEventListener('htmx:load', (event) => {
  const element = event.detail && event.detail.elt;
  if (!element || element === document.body) {
    return; // the whole page, started above
  }
  initAll({
    scope: element.parentElement || element,
    onError(error) {
      // Components around the new content were started already: nothing to report.
      if (error && error.name !== 'InitError') {
        console.error(error);
      }
    },
  });
});
