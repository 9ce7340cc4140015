// A form with data-confirm asks before it is sent ("Close the cycle now? ..."): the
// actions that cannot be taken back. Without JavaScript the form is sent as it is.
document.addEventListener("submit", function (event) {
  var form = event.target;
  var question = form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});
