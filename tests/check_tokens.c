/* check_tokens.c - samples as token ids and labels (tokens.h), and the
 * -t tokens / --count-tokens lines (writer.h).
 *
 * The tokenizer is a tiny tiktoken file built here: the 256 single bytes as
 * ranks 0..255 and a few merges, so that the expected ids can be written
 * out by hand; Meta's special tokens then follow the last rank.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "llamafmt/tokens.h"
#include "llamafmt/writer.h"

static lf_tokenizer *tok;
static lf_tok_state *st;

/* "\n\n", "us", "er", "user", "ll", "Hi", "Hi!" as ranks 256.. */
static const char *const merges[] = {"\n\n", "us", "er", "user", "ll", "Hi", "Hi!"};
#define N_MERGES (sizeof merges / sizeof merges[0])
#define ID_NN 256
#define ID_USER 259
#define ID_HI 261
#define SPECIAL0 (256 + (int)N_MERGES)

static void b64(const unsigned char *s, size_t n, char *out)
{
    static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t k = 0;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)s[i] << 16 | (i + 1 < n ? (unsigned)s[i + 1] << 8 : 0) | (i + 2 < n ? s[i + 2] : 0);
        out[k++] = a[v >> 18 & 63];
        out[k++] = a[v >> 12 & 63];
        out[k++] = i + 1 < n ? a[v >> 6 & 63] : '=';
        out[k++] = i + 2 < n ? a[v & 63] : '=';
    }
    out[k] = '\0';
}

static void setup(void)
{
    lf_buf model = LF_BUF_INIT;
    char line[64], enc[32];
    for (int i = 0; i < 256; i++) {
        unsigned char c = (unsigned char)i;
        b64(&c, 1, enc);
        snprintf(line, sizeof line, "%s %d\n", enc, i);
        ck_assert_int_eq(lf_buf_puts(&model, line), 0);
    }
    for (size_t i = 0; i < N_MERGES; i++) {
        b64((const unsigned char *)merges[i], strlen(merges[i]), enc);
        snprintf(line, sizeof line, "%s %zu\n", enc, 256 + i);
        ck_assert_int_eq(lf_buf_puts(&model, line), 0);
    }
    lf_error err = LF_ERROR_INIT;
    ck_assert_int_eq(lf_tokenizer_load_mem(model.data, model.len, "tiny.model", &tok, &err), LF_OK);
    lf_buf_free(&model);
    st = lf_tok_state_new(tok);
    ck_assert_ptr_nonnull(st);
}

static void teardown(void)
{
    lf_tok_state_free(st);
    lf_tokenizer_free(tok);
}

static int32_t special(const char *name) { return lf_tokenizer_special_id(tok, name, strlen(name)); }

/* Render msgs (user, assistant, ...) under profile p. */
static void render(lf_profile p, const char *const *texts, size_t n, lf_sample *s)
{
    lf_message msgs[8];
    memset(msgs, 0, sizeof msgs);
    for (size_t i = 0; i < n; i++) {
        msgs[i].role = i % 2 == 0 ? LF_ROLE_USER : LF_ROLE_ASSISTANT;
        msgs[i].text = texts[i];
        msgs[i].len = strlen(texts[i]);
    }
    lf_conversation conv;
    memset(&conv, 0, sizeof conv);
    conv.msgs = msgs;
    conv.n = n;
    conv.gen_prompt = -1;
    lf_template_opts o = {p, NULL, 1, 1, 0};
    lf_error err = LF_ERROR_INIT;
    size_t bad;
    ck_assert_int_eq(lf_render(&o, &conv, s, &bad, &err), LF_OK);
}

START_TEST(test_check_needs_llama_specials)
{
    lf_error err = LF_ERROR_INIT;
    ck_assert_int_eq(lf_tokens_check(tok, &err), LF_OK);
    ck_assert_int_eq(special("<|begin_of_text|>"), SPECIAL0);
    ck_assert_int_eq(special("<|eot_id|>"), SPECIAL0 + 9);
}
END_TEST

/* meta profile: BOS, header, "\n\n" + content as one run, EOT, ... */
START_TEST(test_ids_and_labels_meta)
{
    static const char *const t[] = {"user", "Hi!"};
    lf_sample s;
    memset(&s, 0, sizeof s);
    render(LF_PROFILE_META, t, 2, &s);
    lf_ids ids = LF_IDS_INIT, labels = LF_IDS_INIT;
    lf_error err = LF_ERROR_INIT;
    ck_assert_int_eq(lf_sample_tokens(st, tok, &s, LF_TRAIN_ASSISTANT, &ids, &labels, &err), LF_OK);
    const int32_t B = SPECIAL0, X = SPECIAL0 + 1, S = SPECIAL0 + 6, E = SPECIAL0 + 7, T = SPECIAL0 + 9;
    /* <|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nuser<|eot_id|>
     * <|start_header_id|>assistant<|end_header_id|>\n\nHi!<|eot_id|><|end_of_text|> */
    const int32_t want[] = {B, S, ID_USER, E, ID_NN, ID_USER, T, S, 'a', 's', 's', 'i', 's', 't', 'a', 'n', 't',
                            E, ID_NN, ID_HI, '!', T, X};
    size_t n = sizeof want / sizeof want[0];
    ck_assert_uint_eq(ids.n, n);
    for (size_t i = 0; i < n; i++)
        ck_assert_int_eq(ids.v[i], want[i]);
    /* trainable: the assistant's content ("Hi" "!": the pre-tokeniser splits
     * letters from punctuation, so "Hi!" is not used), its <|eot_id|> and
     * <|end_of_text|>; "\n\n" after the header is its own token and stays -100 */
    ck_assert_uint_eq(labels.n, n);
    for (size_t i = 0; i < n; i++)
        ck_assert_int_eq(labels.v[i], i >= n - 4 ? want[i] : LF_IGNORE_INDEX);
    /* the ids spell the sample */
    lf_buf back = LF_BUF_INIT;
    ck_assert_int_eq(lf_detokenize(tok, ids.v, ids.n, &back), 0);
    ck_assert_uint_eq(back.len, s.text.len);
    ck_assert(memcmp(back.data, s.text.data, back.len) == 0);
    lf_buf_free(&back);
    /* --train-on=all: everything but <|begin_of_text|> */
    ck_assert_int_eq(lf_sample_tokens(st, tok, &s, LF_TRAIN_ALL, &ids, &labels, &err), LF_OK);
    ck_assert_int_eq(labels.v[0], LF_IGNORE_INDEX);
    for (size_t i = 1; i < n; i++)
        ck_assert_int_eq(labels.v[i], want[i]);
    lf_ids_free(&ids);
    lf_ids_free(&labels);
    lf_sample_free(&s);
}
END_TEST

/* A token merged across the end of a header into the content: the meta
 * profile keeps content verbatim, so "\n\n" + "\n\nHi" is one run whose
 * first token ("\n\n") is the header's and the second ("\n\n") the
 * content's.  Content starting with one "\n" gives "\n\n" + "\n": the
 * tokens then straddle, and one that holds a trainable byte is trainable. */
START_TEST(test_label_of_straddling_token)
{
    static const char *const t[] = {"x", "\nHi"};
    lf_sample s;
    memset(&s, 0, sizeof s);
    render(LF_PROFILE_META, t, 2, &s);
    lf_ids ids = LF_IDS_INIT, labels = LF_IDS_INIT;
    lf_error err = LF_ERROR_INIT;
    ck_assert_int_eq(lf_sample_tokens(st, tok, &s, LF_TRAIN_ASSISTANT, &ids, &labels, &err), LF_OK);
    /* find the assistant header's <|end_header_id|> */
    size_t at = 0;
    for (size_t i = 0, seen = 0; i < ids.n; i++)
        if (ids.v[i] == SPECIAL0 + 7 && ++seen == 2)
            at = i;
    ck_assert_uint_gt(at, 0);
    /* "\n\n\nHi": the pre-tokeniser takes "\n\n\n" whole (\s*[\r\n]+),
     * which the tiny vocabulary spells "\n\n" "\n"; then "Hi" */
    ck_assert_int_eq(ids.v[at + 1], ID_NN);
    ck_assert_int_eq(labels.v[at + 1], LF_IGNORE_INDEX);   /* header bytes only */
    ck_assert_int_eq(ids.v[at + 2], '\n');
    ck_assert_int_eq(labels.v[at + 2], '\n');               /* the content's newline */
    ck_assert_int_eq(ids.v[at + 3], ID_HI);
    ck_assert_int_eq(labels.v[at + 3], ID_HI);
    lf_ids_free(&ids);
    lf_ids_free(&labels);
    lf_sample_free(&s);
}
END_TEST

/* Text that spells a special token is ordinary text. */
START_TEST(test_special_text_in_content_is_text)
{
    static const char *const t[] = {"<|eot_id|>", "ok"};
    lf_sample s;
    memset(&s, 0, sizeof s);
    render(LF_PROFILE_META, t, 2, &s);
    lf_ids ids = LF_IDS_INIT;
    lf_error err = LF_ERROR_INIT;
    ck_assert_int_eq(lf_sample_tokens(st, tok, &s, LF_TRAIN_ASSISTANT, &ids, NULL, &err), LF_OK);
    int eots = 0;
    for (size_t i = 0; i < ids.n; i++)
        eots += ids.v[i] == SPECIAL0 + 9;
    ck_assert_int_eq(eots, 2);      /* the two turns' own terminators only */
    lf_ids_free(&ids);
    lf_sample_free(&s);
}
END_TEST

START_TEST(test_format_tokens_and_count)
{
    const int32_t ids[] = {1, 22, -3, 2147483647};
    const int32_t labels[] = {-100, 22, -100, 2147483647};
    lf_kept kept[] = {{"id", "7", 1, 1}};
    lf_buf b = LF_BUF_INIT;
    lf_error err = LF_ERROR_INIT;
    ck_assert_int_eq(lf_format_tokens(&b, ids, labels, 4, 1, kept, 1, &err), LF_OK);
    ck_assert_int_eq(lf_format_tokens(&b, ids, NULL, 0, 0, NULL, 0, &err), LF_OK);
    ck_assert_int_eq(lf_format_count(&b, 12345678901ULL, kept, 1, &err), LF_OK);
    const char *want = "{\"id\": 7, \"input_ids\": [1, 22, -3, 2147483647], \"labels\": [-100, 22, -100, 2147483647], "
                       "\"attention_mask\": [1, 1, 1, 1]}\n"
                       "{\"input_ids\": []}\n"
                       "{\"id\": 7, \"tokens\": 12345678901}\n";
    ck_assert_uint_eq(b.len, strlen(want));
    ck_assert(memcmp(b.data, want, b.len) == 0);
    lf_buf_free(&b);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("tokens");
    TCase *tc = tcase_create("tokens");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_check_needs_llama_specials);
    tcase_add_test(tc, test_ids_and_labels_meta);
    tcase_add_test(tc, test_label_of_straddling_token);
    tcase_add_test(tc, test_special_text_in_content_is_text);
    tcase_add_test(tc, test_format_tokens_and_count);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
