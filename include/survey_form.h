#ifndef SB_SURVEY_FORM_H
#define SB_SURVEY_FORM_H
/*
 * A survey's questions and a customer's answers to them. A question is
 * {"id", "label", "type", "required"}; type is "rating" (an integer 1 to 5), "nps" (0 to
 * 10), "yes_no" (true or false) or "text" (at most SURVEY_TEXT_MAX characters). Answers
 * are an object {"<question id>": value}. Both checks record every 422 reason on the
 * request, naming the member ("questions[2].type", "answers.q1"), and answer nothing
 * themselves: the caller calls request_check_fields().
 */
#include <stdbool.h>

struct json_object;
struct request;

#define SURVEY_QUESTIONS_MAX 50
#define SURVEY_TEXT_MAX 2000

/* questions (as sent; NULL when absent) against the rules above; *text gets the list as
 * stored (each question with exactly its four members, `required` false by default), in
 * the arena. 0, or -1 when invalid (reasons recorded) or out of memory. */
int survey_questions_check(struct request *r, struct json_object *questions, const char **text);

/* What one set of answers gives the stats: the first rating and the first nps answer
 * (-1 when the survey has none or it was left out). */
struct survey_scores {
    int csat, nps;
};

/* answers against questions (the stored list); *text gets the answers as stored (only the
 * survey's questions), in the arena. 0, or -1 when invalid or out of memory. */
int survey_answers_check(struct request *r, struct json_object *questions,
                         struct json_object *answers, const char **text,
                         struct survey_scores *scores);

#endif
