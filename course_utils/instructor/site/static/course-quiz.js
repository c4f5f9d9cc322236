/* Quizzes in the page, without a kernel or a server: the course's question banks, pre-graded in Python
   (course_utils/instructor/site/quizdata.py). Every feedback box shown here is the one a notebook shows for the
   same answer. Generated questions come with a few variants; "New numbers" shows the next one. */
(function () {
  "use strict";
  var uid = 0;
  var NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

  function el(tag, attrs, html) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) { node.setAttribute(key, attrs[key]); });
    if (html !== undefined) { node.innerHTML = html; }
    return node;
  }

  function grade(q, form) {
    if (q.type === "numeric") {
      var text = form.querySelector("input").value.trim().replace(/_/g, "");
      if (!NUMBER.test(text)) { return q.empty; }
      return Math.abs(parseFloat(text) - q.answer) <= q.tolerance ? q.right : q.wrong;
    }
    var picked = Array.prototype.filter.call(form.querySelectorAll("input"), function (i) { return i.checked; })
      .map(function (i) { return i.value; });
    if (!picked.length) { return q.empty; }
    return q.feedback[picked.join(",")];
  }

  function drawQuestion(card, question, variant, number, onGraded) {
    var q = question.variants[variant];
    var name = "course-q-" + (++uid);
    card.innerHTML = "";
    card.setAttribute("data-question-id", q.id);
    card.setAttribute("data-variant", String(variant));
    var form = el("fieldset", {"class": "course-site-question"});
    form.appendChild(el("legend", {}, "<span class=\"course-site-number\">Question " + number + ".</span> " +
                                      q.prompt));
    if (q.type === "numeric") {
      var label = el("label", {"class": "course-site-entry"}, "Your answer ");
      label.appendChild(el("input", {type: "text", inputmode: "decimal", autocomplete: "off", name: name}));
      form.appendChild(label);
    } else {
      var kind = q.type === "multiple" ? "checkbox" : "radio";
      if (q.type === "multiple") { form.appendChild(el("p", {"class": "course-site-how"}, "Select all that apply.")); }
      q.choices.forEach(function (choice, index) {
        var label = el("label", {"class": "course-site-choice"});
        label.appendChild(el("input", {type: kind, name: name, value: String(index)}));
        label.appendChild(el("span", {}, (choice.letter ? "<b>" + choice.letter + ")</b> " : "") + choice.html));
        form.appendChild(label);
      });
    }
    var buttons = el("div", {"class": "course-site-buttons"});
    var submit = el("button", {type: "button", "class": "course-site-submit"}, "Submit");
    buttons.appendChild(submit);
    if (question.variants.length > 1) {
      var again = el("button", {type: "button", "class": "course-site-new"}, "New numbers");
      again.addEventListener("click", function () {
        drawQuestion(card, question, (variant + 1) % question.variants.length, number, onGraded);
        onGraded(q.id, null);
      });
      buttons.appendChild(again);
    }
    form.appendChild(buttons);
    var feedback = el("div", {"class": "course-site-feedback", "aria-live": "polite"});
    form.appendChild(feedback);
    submit.addEventListener("click", function () {
      var result = grade(q, form);
      feedback.innerHTML = result.html;
      feedback.setAttribute("data-status", result.status);
      onGraded(q.id, result.status);
    });
    form.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && event.target.tagName === "INPUT" && event.target.type === "text") {
        event.preventDefault();
        submit.click();
      }
    });
    card.appendChild(form);
  }

  function drawQuiz(holder) {
    var data = JSON.parse(holder.querySelector("script.course-site-quiz-data").textContent);
    var quiz = el("section", {"class": "course-site-quiz-card", "aria-label": "Quiz: " + data.title});
    quiz.appendChild(el("p", {"class": "course-site-quiz-title"}, "<b>" + data.title.replace(/</g, "&lt;") +
      "</b> (" + data.questions.length + " questions, scored in your browser; nothing is sent anywhere)"));
    if (data.note) { quiz.appendChild(el("p", {"class": "course-site-quiz-note"}, data.note)); }
    var results = {};
    var score = el("p", {"class": "course-site-score", "aria-live": "polite"});
    function onGraded(id, status) {
      if (status === null || status === "invalid" || status === "unknown") { delete results[id]; }
      else { results[id] = status; }
      var answered = Object.keys(results).length;
      var correct = Object.keys(results).filter(function (k) { return results[k] === "correct"; }).length;
      score.textContent = "Score: " + correct + " correct of " + answered + " answered (" +
        data.questions.length + " questions).";
    }
    data.questions.forEach(function (question, index) {
      var card = el("div", {"class": "course-site-question-card"});
      var start = question.variants.length > 1 ? Math.floor(Math.random() * question.variants.length) : 0;
      drawQuestion(card, question, start, index + 1, onGraded);
      quiz.appendChild(card);
    });
    onGraded("", null);
    quiz.appendChild(score);
    holder.appendChild(quiz);
  }

  function init() {
    Array.prototype.forEach.call(document.querySelectorAll(".course-site-quiz"), drawQuiz);
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); } else { init(); }
})();
