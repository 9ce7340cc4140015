/* The billing page's card form (gpo/billing/templates/billing/billing.html): Stripe
   Elements collects the card, Stripe.js confirms the page's SetupIntent with it, and
   only the resulting payment method id (pm_...) is posted to our server, with the
   form's CSRF token. The card number never reaches us. */
(function () {
  "use strict";
  var form = document.getElementById("card-form");
  if (!form || typeof Stripe === "undefined") {
    var errors = document.getElementById("card-errors");
    if (form && errors) { errors.textContent = "Stripe's card form could not be loaded; reload the page to try again."; }
    return;
  }
  var stripe = Stripe(form.dataset.publishableKey);
  var card = stripe.elements().create("card");
  card.mount("#card-element");
  var errorBox = document.getElementById("card-errors");
  var button = document.getElementById("save-card");
  var busy = false;

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (busy) { return; }
    busy = true;
    button.disabled = true;
    errorBox.textContent = "";
    stripe.confirmCardSetup(form.dataset.clientSecret, {payment_method: {card: card}}).then(function (result) {
      if (result.error || !result.setupIntent) {
        var message = (result.error && result.error.message) || "Stripe did not accept the card.";
        errorBox.textContent = "Your card was not saved: " + message;
        busy = false;
        button.disabled = false;
        return;
      }
      var method = result.setupIntent.payment_method;
      form.elements["stripe_payment_method_id"].value = typeof method === "string" ? method : method.id;
      form.submit();
    });
  });
})();
