/* check_views.c - trainable bytes and the training-view output forms.
 *
 * One two-turn conversation is rendered under the official profile and
 * written in every form; the expected bytes are written out by hand from the
 * format (research/format.md §2.3) and the forms' definitions (writer.h).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "llamafmt/template.h"
#include "llamafmt/writer.h"

#define HDR(r) "<|start_header_id|>" r "<|end_header_id|>\n\n"
#define SYS "<|begin_of_text|>" HDR("system") "Cutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n<|eot_id|>"
#define PART1 SYS HDR("user") "q1<|eot_id|>" HDR("assistant")
#define ANS1 "a1<|eot_id|>"
#define PART2 HDR("user") "q2<|eot_id|>" HDR("assistant")
#define ANS2 "a2<|eot_id|><|end_of_text|>"

static lf_sample sample;

static void render_two_turns(void)
{
    static const lf_message msgs[] = {
        {LF_ROLE_USER, "q1", 2, {{{NULL, 0}}, 0}, NULL, {NULL, 0}, 0},
        {LF_ROLE_ASSISTANT, "a1", 2, {{{NULL, 0}}, 0}, NULL, {NULL, 0}, 0},
        {LF_ROLE_USER, "q2", 2, {{{NULL, 0}}, 0}, NULL, {NULL, 0}, 0},
        {LF_ROLE_ASSISTANT, "a2", 2, {{{NULL, 0}}, 0}, NULL, {NULL, 0}, 0},
    };
    lf_conversation conv;
    memset(&conv, 0, sizeof conv);
    conv.msgs = (lf_message *)msgs;
    conv.n = 4;
    conv.gen_prompt = -1;
    lf_template_opts o = {LF_PROFILE_OFFICIAL, NULL, 1, 1, 0};
    lf_error err;
    size_t bad;
    ck_assert_int_eq(lf_render(&o, &conv, &sample, &bad, &err), LF_OK);
    const char *want = PART1 ANS1 PART2 ANS2;
    ck_assert_uint_eq(sample.text.len, strlen(want));
    ck_assert(memcmp(sample.text.data, want, sample.text.len) == 0);
}

/* Write the sample in form w to a pipe and read it back. */
static char *written(const lf_writer_opts *w)
{
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    int saved = dup(STDOUT_FILENO);
    dup2(fds[1], STDOUT_FILENO);
    close(fds[1]);
    lf_error err;
    lf_out *o = lf_out_open(NULL, NULL, &err);
    ck_assert_ptr_nonnull(o);
    ck_assert_int_eq(lf_write_sample(o, w, &sample, NULL, 0, &err), LF_OK);
    ck_assert_int_eq(lf_out_commit(o, &err), LF_OK);
    lf_out_abort(o);
    fflush(stdout);
    dup2(saved, STDOUT_FILENO);
    close(saved);
    static char buf[8192];
    ssize_t n = read(fds[0], buf, sizeof buf - 1);
    close(fds[0]);
    ck_assert_int_ge(n, 0);
    buf[n] = '\0';
    return buf;
}

static size_t len_of(const char *s) { return strlen(s); }

START_TEST(test_trainable_rules)
{
    render_two_turns();
    size_t a1 = len_of(PART1), a1_end = a1 + len_of(ANS1);
    size_t a2 = a1_end + len_of(PART2), end = sample.text.len;
    ck_assert_uint_eq(sample.final_body, a2);
    for (size_t i = 0; i < sample.nsegs; i++) {
        const lf_segment *g = &sample.segs[i];
        int in1 = g->off >= a1 && g->off + g->len <= a1_end;
        int in2 = g->off >= a2 && g->off + g->len <= end;
        ck_assert_int_eq(lf_segment_trainable(&sample, g, LF_TRAIN_ASSISTANT), in1 || in2);
        ck_assert_int_eq(lf_segment_trainable(&sample, g, LF_TRAIN_LAST), in2);
        ck_assert_int_eq(lf_segment_trainable(&sample, g, LF_TRAIN_ALL), g->off != 0);
    }
    lf_sample_free(&sample);
}
END_TEST

START_TEST(test_forms)
{
    render_two_turns();
    char want[4096];
    size_t a1 = len_of(PART1), a1_end = a1 + len_of(ANS1), a2 = a1_end + len_of(PART2);

    lf_writer_opts w = {LF_FORMAT_JSONL, NULL, 0, 1, LF_TRAIN_ASSISTANT};
    snprintf(want, sizeof want, "\"spans\": [[%zu, %zu], [%zu, %zu]]}\n", a1, a1_end, a2, sample.text.len);
    char *got = written(&w);
    ck_assert_msg(strstr(got, want) != NULL, "%s", got);

    w.train_on = LF_TRAIN_ALL;
    snprintf(want, sizeof want, "\"spans\": [[17, %zu]]}\n", sample.text.len);
    got = written(&w);
    ck_assert_msg(strstr(got, want) != NULL, "%s", got);

    w.format = LF_FORMAT_SEGMENTS;
    w.train_on = LF_TRAIN_LAST;
    got = written(&w);
    static const char head[] = "{\"segments\": [{\"label\": false, \"text\": \"<|begin_of_text|>";
    ck_assert_msg(strncmp(got, head, sizeof head - 1) == 0, "%s", got);
    ck_assert_msg(strstr(got, "{\"label\": true, \"text\": \"a2<|eot_id|><|end_of_text|>\"}]}\n") != NULL, "%s", got);
    ck_assert_msg(strstr(got, "\"label\": true, \"text\": \"a1") == NULL, "%s", got);

    w.format = LF_FORMAT_PROMPT_COMPLETION;
    got = written(&w);
    ck_assert_msg(strstr(got, "\"completion\": \"a2<|eot_id|><|end_of_text|>\"}\n") != NULL, "%s", got);
    ck_assert_msg(strstr(got, "<|start_header_id|>assistant<|end_header_id|>\\n\\n\", \"completion\"") != NULL, "%s",
                  got);
    lf_sample_free(&sample);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("views");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_trainable_rules);
    tcase_add_test(tc, test_forms);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
