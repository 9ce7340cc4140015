/* The billing page's card form (gpo/billing/templates/billing/billing.html): Stripe
   Elements collects the card. When the admin starts entering it, the script asks our
   server for a SetupIntent (POST, the form's CSRF token in the X-CSRFToken header;
   the page's GET makes none); on "Save card" Stripe.js confirms that SetupIntent with
   the card and only the SetupIntent's id (seti_...) is posted to our server, which
   checks it with Stripe. The card number never reaches us. */
(function () {
  "use strict";
  var form = document.getElementById("card-form");
  var errorBox = document.getElementById("card-errors");
  var UNAVAILABLE = "Card entry is unavailable right now: Stripe, our payment processor, cannot be reached. " +
    "Reload the page in a few minutes to try again.";
  if (!form || typeof Stripe === "undefined" || !form.dataset.publishableKey) {
    if (form && errorBox) { errorBox.textContent = UNAVAILABLE; }
    return;
  }
  var stripe, card;
  try {
    stripe = Stripe(form.dataset.publishableKey);
    card = stripe.elements().create("card");
    card.mount("#card-element");
  } catch (error) {  // Stripe.js refused to start (a bad key, say): say so, never a silent form
    if (errorBox) { errorBox.textContent = UNAVAILABLE; }
    return;
  }
  var button = document.getElementById("save-card");
  var busy = false;
  var intent = null;  // the pending request for a SetupIntent's client secret

  function requestSetupIntent() {
    return fetch(form.dataset.setupIntentUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: {"Content-Type": "application/json", "Accept": "application/json",
                "X-CSRFToken": form.elements["csrf_token"].value},
      body: "{}"
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (body) {
        if (!response.ok || !body.client_secret) {
          var error = new Error(body.message || UNAVAILABLE);
          error.unavailable = response.status >= 500 || !body.message;
          throw error;
        }
        return body.client_secret;
      });
    }, function () {
      var error = new Error(UNAVAILABLE);
      error.unavailable = true;
      throw error;
    });
  }

  function clientSecret() {
    if (intent === null) {
      intent = requestSetupIntent();
      intent.catch(function (error) {
        intent = null;  // asked again on the next try
        if (!busy) { errorBox.textContent = error.unavailable ? UNAVAILABLE : error.message; }
      });
    }
    return intent;
  }

  function started() { clientSecret(); }
  card.on("focus", started);
  card.on("change", started);

  function failed(message) {
    errorBox.textContent = message;
    intent = null;  // a SetupIntent that failed is not confirmed again: a new one next time
    busy = false;
    button.disabled = false;
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (busy) { return; }
    busy = true;
    button.disabled = true;
    errorBox.textContent = "";
    clientSecret().then(function (secret) {
      return stripe.confirmCardSetup(secret, {payment_method: {card: card}});
    }).then(function (result) {
      if (!result || result.error || !result.setupIntent) {
        var message = (result && result.error && result.error.message) || "Stripe did not accept the card.";
        failed("Your card was not saved: " + message);
        return;
      }
      form.elements["setup_intent_id"].value = result.setupIntent.id;
      form.submit();
    }).catch(function (error) {
      if (error && error.unavailable) {
        failed(UNAVAILABLE);
      } else {
        failed("Your card was not saved: " + ((error && error.message) || "Stripe could not be reached.") +
               " Please try again.");
      }
    });
  });
})();
