/* options.c - see options.h. */
#include "llamafmt/options.h"

#include "llamafmt/codec.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
    "Usage: llamafmt [OPTION]... [FILE]...\n"
    "Render chat records as Llama 3.1 Instruct training samples.\n"
    "\n"
    "Reads JSONL (one record per line), a JSON array of records, or pretty-printed\n"
    "records one after another, from each FILE or from standard input (no FILE,\n"
    "or FILE is -), and writes one sample per record.\n"
    "\n"
    "Input:\n"
    "  -f, --from=SHAPE         record shape: auto (default: detected per record),\n"
    "                           messages  {\"messages\":[{\"role\",\"content\"}]}\n"
    "                           sharegpt  {\"conversations\":[{\"from\",\"value\"}],\"system\"?}\n"
    "                           alpaca    {\"instruction\",\"input\"?,\"output\",\"system\"?,\"history\"?}\n"
    "                           flat      {\"system\"?,\"user\",\"assistant\"}\n"
    "      --messages-key=KEY   key of the message list (default: messages, or\n"
    "                           conversations for sharegpt)\n"
    "      --role-key=KEY       key of a message's role (default: role, or from)\n"
    "      --content-key=KEY    key of a message's content (default: content, or value)\n"
    "      --role-map=A=B,...   read role name A as B (system, user, assistant, tool)\n"
    "                           (default: none; ShareGPT's human/gpt/model/observation\n"
    "                           are built into the sharegpt shape)\n"
    "      --alpaca-joiner=STR  put STR between an alpaca instruction and a non-empty\n"
    "                           input (default: \"\\n\\n\")\n"
    "      --system=TEXT        system prompt for records that have none (default: none)\n"
    "      --special-tokens=M   special-token text such as <|eot_id|> inside content:\n"
    "                           error (default), strip, or allow\n"
    "      --max-record-size=N  reject records larger than N bytes; suffixes K, M, G\n"
    "                           (default: 64M)\n"
    "\n"
    "Tool calling (record keys win over these):\n"
    "      --tools=FILE         a JSON array of function specifications for records\n"
    "                           without \"tools\" (default: none); \"tools\": [] in a\n"
    "                           record means no tools, not an empty tool preamble\n"
    "      --builtin-tools=A,B  built-in tools (brave_search, wolfram_alpha,\n"
    "                           code_interpreter) for records without \"builtin_tools\"\n"
    "                           (default: none)\n"
    "      --tools-in=WHERE     put tool definitions in the first user message (user,\n"
    "                           the default) or the system block (system), for records\n"
    "                           without \"tools_in_user_message\"\n"
    "      --lenient-tool-calls read \"tool_calls\": [] or null as no call (default: an\n"
    "                           error, as in the template)\n"
    "\n"
    "Rendering:\n"
    "  -p, --profile=NAME       official (default): the Llama 3.1 Instruct chat\n"
    "                           template as Hugging Face apply_chat_template renders it;\n"
    "                           meta: Meta's llama-models format (no date block, content\n"
    "                           verbatim); guide: the Korean fine-tuning guide's format\n"
    "      --date=DATE          \"Today Date\" of the official system block\n"
    "                           (default: 26 Jul 2024; never the clock)\n"
    "      --bos, --no-bos      start each sample with <|begin_of_text|> (default: on)\n"
    "      --end-of-text, --no-end-of-text\n"
    "                           end each training sample with <|end_of_text|>\n"
    "                           (default: on; off with --generation-prompt)\n"
    "      --generation-prompt  render prompts for inference or evaluation: drop a\n"
    "                           final assistant turn and end with an open assistant\n"
    "                           header (default: training samples, which must end\n"
    "                           with an assistant turn)\n"
    "\n"
    "Output:\n"
    "  -t, --to=FORMAT          jsonl (default): {\"text\": SAMPLE} per line, written as\n"
    "                           Python's json.dumps(ensure_ascii=False) writes it;\n"
    "                           text: each raw sample followed by a separator;\n"
    "                           prompt-completion: {\"prompt\", \"completion\"} (TRL), split\n"
    "                           after the final assistant header;\n"
    "                           segments: {\"segments\": [{\"label\", \"text\"}]} (axolotl's\n"
    "                           input_output), label true where trainable;\n"
    "                           messages: the record normalised to OpenAI/HF messages\n"
    "                           (for trainers that apply the chat template themselves)\n"
    "      --spans              jsonl: add \"spans\": [[start, end], ...], the trainable\n"
    "                           bytes as half-open UTF-8 byte offsets into \"text\"\n"
    "                           (default: off)\n"
    "      --train-on=WHICH     what is trainable (spans, segments): assistant (default:\n"
    "                           every assistant turn's content and <|eot_id|>/<|eom_id|>,\n"
    "                           and <|end_of_text|>), last (only the final assistant\n"
    "                           turn), all (everything but <|begin_of_text|>)\n"
    "      --split-turns        one sample per assistant turn, the turns before it as\n"
    "                           history; only that final turn is trainable (default: off)\n"
    "  -o, --output=FILE        write to FILE, atomically (default: standard output)\n"
    "      --separator=STR      text: written after each sample (default: \"\\n\")\n"
    "  -0, --null               text: end each sample with a NUL byte (implies -t text)\n"
    "      --keep=KEY,...       copy these top-level keys of each record into its output\n"
    "                           line, first (JSON forms; default: none)\n"
    "  -t tokens                {\"input_ids\": [...], \"labels\": [...]} per sample, labels\n"
    "                           -100 where not trainable (--train-on); needs --tokenizer\n"
    "      --attention-mask     -t tokens: add \"attention_mask\" (all 1; default: off)\n"
    "  STR and TEXT options understand the escapes \\n \\t \\r \\0 and \\\\.\n"
    "\n"
    "Tokens:\n"
    "      --tokenizer=FILE     the model's tokenizer.json (Hugging Face) or\n"
    "                           tokenizer.model (Meta/tiktoken); llamafmt ships none\n"
    "      --max-tokens=N       samples longer than N tokens are overlong (default: no\n"
    "                           limit; needs --tokenizer)\n"
    "      --overlong=WHAT      drop (default): skip the sample, counted in --stats and\n"
    "                           listed in --rejects; drop-turns: remove whole trailing\n"
    "                           turns until it fits; truncate: cut at N tokens; error:\n"
    "                           a bad record (exit 1 under --on-error=fail)\n"
    "      --count-tokens[=WHAT]  write no samples: per-sample (default) prints\n"
    "                           {\"tokens\": N} per sample (with --keep keys) and the\n"
    "                           total on standard error; total prints only the total\n"
    "\n"
    "Modes:\n"
    "      --check              validate only: report every problem of every record\n"
    "                           with its position, and warnings for what converts but\n"
    "                           is probably wrong; exit 1 on errors, 0 on warnings only\n"
    "      --parse              read Llama 3 text samples ({\"text\"} JSON records, or raw\n"
    "                           text samples each starting with <|begin_of_text|>) back\n"
    "                           into messages JSONL, reporting malformed ones; -p and\n"
    "                           --date say how they were rendered, --end-of-text and\n"
    "                           --no-end-of-text make <|end_of_text|> required/refused\n"
    "\n"
    "Dataset hygiene:\n"
    "      --dedup              drop conversations seen before (exact, after\n"
    "                           normalisation to messages; counted in --stats)\n"
    "      --split=NAME=F,...   one output per split (e.g. train=0.95,val=0.05), each\n"
    "                           record placed by a hash of its content; with -o FILE the\n"
    "                           outputs are FILE with .NAME before the extension, with\n"
    "                           -O DIR they go under DIR/NAME/\n"
    "      --shuffle[=N]        shuffle samples within a buffer of N (default: 10000)\n"
    "      --seed=N             seed of --split and --shuffle (default: 0)\n"
    "\n"
    "Batches of files:\n"
    "  -r, --recursive          convert the data files (*.jsonl, *.json, *.ndjson,\n"
    "                           also .gz or .zst) below directories given as inputs, in\n"
    "                           sorted order; hidden files and symbolic links skipped\n"
    "  -O, --output-dir=DIR     one output per input under DIR: a file in a given\n"
    "                           directory keeps its relative path (data/a/b.json ->\n"
    "                           DIR/a/b.jsonl, .txt for -t text), a file given by name\n"
    "                           its base name; collisions are refused before writing\n"
    "      --compress=C         outputs under -O: none, gz or zst (default: as the\n"
    "                           input: a .gz input gives a .gz output); with -o, an\n"
    "                           output named *.gz or *.zst is compressed\n"
    "      --force              overwrite existing outputs (default: refuse)\n"
    "      --update             skip outputs newer than their input and made with the\n"
    "                           same options (like make); convert the rest\n"
    "      --follow-symlinks    follow symbolic links while walking (default: skip)\n"
    "      --progress, --no-progress\n"
    "                           progress on standard error (default: when it is a\n"
    "                           terminal)\n"
    "  Inputs named *.gz or *.zst are decompressed on the fly.\n"
    "\n"
    "Performance:\n"
    "  -j, --threads=N          worker threads (default: 0, the number of online CPUs);\n"
    "                           the output is the same for any N\n"
    "\n"
    "Errors and reporting:\n"
    "      --on-error=MODE      fail (default): stop at the first bad record, exit 1,\n"
    "                           leave no output file; skip: reject bad records, go on,\n"
    "                           exit 0 and print one summary line\n"
    "      --rejects=FILE       write every rejected record to FILE as JSONL:\n"
    "                           {\"file\",\"line\",\"column\",\"error\",\"record\"}\n"
    "                           (default: none)\n"
    "      --stats[=FORMAT]     print a summary on standard error: text (default) or\n"
    "                           json; records read = records converted + rejected\n"
    "                           (default: no summary)\n"
    "  -v, --verbose            with --on-error=skip, also report every rejected record\n"
    "                           (default: only a summary line)\n"
    "  -q, --quiet              no warnings and no summary line (default: off)\n"
    "      --color=WHEN         colour in messages (also --colour): auto (default: on a\n"
    "                           terminal unless NO_COLOR is set), always, never\n"
    "  -h, --help               show this help and exit\n"
    "  -V, --version            show the version and exit\n"
    "\n"
    "Errors are reported as FILE:LINE:COLUMN: PATH: MESSAGE, with 1-based lines and\n"
    "byte columns counted per file (<stdin> for standard input).\n"
    "\n"
    "Exit status: 0 success; 1 bad input data; 2 usage error; 3 I/O or system error.\n"
    "\n"
    "Examples:\n"
    "  llamafmt chats.jsonl > train.jsonl\n"
    "  cat sharegpt.json | llamafmt -p official --no-end-of-text -o train.jsonl\n"
    "  llamafmt -f alpaca --on-error=skip --rejects bad.jsonl --stats alpaca_data.json\n";

const char *lf_usage_text(void) { return usage_text; }

enum {
    OPT_MESSAGES_KEY = 256,
    OPT_ROLE_KEY,
    OPT_CONTENT_KEY,
    OPT_ROLE_MAP,
    OPT_ALPACA_JOINER,
    OPT_SYSTEM,
    OPT_SPECIAL,
    OPT_MAX_RECORD,
    OPT_DATE,
    OPT_BOS,
    OPT_NO_BOS,
    OPT_EOT,
    OPT_NO_EOT,
    OPT_GEN,
    OPT_SEPARATOR,
    OPT_KEEP,
    OPT_ON_ERROR,
    OPT_REJECTS,
    OPT_STATS,
    OPT_TOOLS,
    OPT_BUILTIN_TOOLS,
    OPT_TOOLS_IN,
    OPT_LENIENT_TOOL_CALLS,
    OPT_TRAIN_ON,
    OPT_SPANS,
    OPT_SPLIT_TURNS,
    OPT_COMPRESS,
    OPT_FORCE,
    OPT_UPDATE,
    OPT_FOLLOW,
    OPT_PROGRESS,
    OPT_NO_PROGRESS,
    OPT_TOKENIZER,
    OPT_MAX_TOKENS,
    OPT_OVERLONG,
    OPT_COUNT_TOKENS,
    OPT_ATTENTION_MASK,
    OPT_CHECK,
    OPT_PARSE,
    OPT_DEDUP,
    OPT_SPLIT,
    OPT_SHUFFLE,
    OPT_SEED,
    OPT_COLOR,
};

static const struct option long_opts[] = {
    {"from", required_argument, NULL, 'f'},
    {"messages-key", required_argument, NULL, OPT_MESSAGES_KEY},
    {"role-key", required_argument, NULL, OPT_ROLE_KEY},
    {"content-key", required_argument, NULL, OPT_CONTENT_KEY},
    {"role-map", required_argument, NULL, OPT_ROLE_MAP},
    {"alpaca-joiner", required_argument, NULL, OPT_ALPACA_JOINER},
    {"system", required_argument, NULL, OPT_SYSTEM},
    {"special-tokens", required_argument, NULL, OPT_SPECIAL},
    {"max-record-size", required_argument, NULL, OPT_MAX_RECORD},
    {"tools", required_argument, NULL, OPT_TOOLS},
    {"builtin-tools", required_argument, NULL, OPT_BUILTIN_TOOLS},
    {"tools-in", required_argument, NULL, OPT_TOOLS_IN},
    {"lenient-tool-calls", no_argument, NULL, OPT_LENIENT_TOOL_CALLS},
    {"profile", required_argument, NULL, 'p'},
    {"date", required_argument, NULL, OPT_DATE},
    {"bos", no_argument, NULL, OPT_BOS},
    {"no-bos", no_argument, NULL, OPT_NO_BOS},
    {"end-of-text", no_argument, NULL, OPT_EOT},
    {"no-end-of-text", no_argument, NULL, OPT_NO_EOT},
    {"generation-prompt", no_argument, NULL, OPT_GEN},
    {"to", required_argument, NULL, 't'},
    {"output", required_argument, NULL, 'o'},
    {"separator", required_argument, NULL, OPT_SEPARATOR},
    {"train-on", required_argument, NULL, OPT_TRAIN_ON},
    {"spans", no_argument, NULL, OPT_SPANS},
    {"split-turns", no_argument, NULL, OPT_SPLIT_TURNS},
    {"null", no_argument, NULL, '0'},
    {"keep", required_argument, NULL, OPT_KEEP},
    {"on-error", required_argument, NULL, OPT_ON_ERROR},
    {"rejects", required_argument, NULL, OPT_REJECTS},
    {"stats", optional_argument, NULL, OPT_STATS},
    {"threads", required_argument, NULL, 'j'},
    {"recursive", no_argument, NULL, 'r'},
    {"output-dir", required_argument, NULL, 'O'},
    {"compress", required_argument, NULL, OPT_COMPRESS},
    {"force", no_argument, NULL, OPT_FORCE},
    {"update", no_argument, NULL, OPT_UPDATE},
    {"follow-symlinks", no_argument, NULL, OPT_FOLLOW},
    {"progress", no_argument, NULL, OPT_PROGRESS},
    {"no-progress", no_argument, NULL, OPT_NO_PROGRESS},
    {"tokenizer", required_argument, NULL, OPT_TOKENIZER},
    {"max-tokens", required_argument, NULL, OPT_MAX_TOKENS},
    {"overlong", required_argument, NULL, OPT_OVERLONG},
    {"count-tokens", optional_argument, NULL, OPT_COUNT_TOKENS},
    {"attention-mask", no_argument, NULL, OPT_ATTENTION_MASK},
    {"check", no_argument, NULL, OPT_CHECK},
    {"parse", no_argument, NULL, OPT_PARSE},
    {"dedup", no_argument, NULL, OPT_DEDUP},
    {"split", required_argument, NULL, OPT_SPLIT},
    {"shuffle", optional_argument, NULL, OPT_SHUFFLE},
    {"seed", required_argument, NULL, OPT_SEED},
    {"color", required_argument, NULL, OPT_COLOR},
    {"colour", required_argument, NULL, OPT_COLOR},
    {"verbose", no_argument, NULL, 'v'},
    {"quiet", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0},
};

int lf_parse_size(const char *s, size_t *out)
{
    if (s == NULL || *s < '0' || *s > '9')
        return -1;
    uint64_t v = 0;
    const char *p = s;
    for (; *p >= '0' && *p <= '9'; p++) {
        if (v > (UINT64_MAX - 9) / 10)
            return -1;
        v = v * 10 + (uint64_t)(*p - '0');
    }
    unsigned shift = 0;
    switch (*p) {
    case '\0':
        break;
    case 'k': case 'K': shift = 10; p++; break;
    case 'm': case 'M': shift = 20; p++; break;
    case 'g': case 'G': shift = 30; p++; break;
    default:
        return -1;
    }
    if (*p == 'B' || *p == 'b')
        p++;
    if (*p != '\0' || v == 0 || v > (SIZE_MAX >> shift))
        return -1;
    *out = (size_t)(v << shift);
    return 0;
}

long lf_unescape(const char *s, char *out)
{
    long k = 0;
    for (; *s; s++) {
        if (*s != '\\') {
            out[k++] = *s;
            continue;
        }
        switch (*++s) {
        case 'n': out[k++] = '\n'; break;
        case 't': out[k++] = '\t'; break;
        case 'r': out[k++] = '\r'; break;
        case '0': out[k++] = '\0'; break;
        case '\\': out[k++] = '\\'; break;
        default:
            return -1;
        }
    }
    return k;
}

int lf_config_fingerprint(const lf_config *cfg, lf_buf *out)
{
    const lf_record_opts *r = &cfg->rec;
    const lf_template_opts *t = &cfg->tpl;
    char num[128];
    int rc = 0;
    snprintf(num, sizeof num, "llamafmt-1 shape=%d special=%d max=%zu profile=%d bos=%d eot=%d gen=%d format=%d ",
             (int)r->shape, (int)r->special, cfg->max_record, (int)t->profile, t->bos, t->end_of_text,
             t->generation_prompt, (int)cfg->wr.format);
    rc |= lf_buf_puts(out, num);
    snprintf(num, sizeof num, "spans=%d train=%d split=%d tools_in=%d lenient=%d builtin=%d ", cfg->wr.spans,
             (int)cfg->wr.train_on, cfg->split_turns, r->tools_in_user, r->lenient_tool_calls, r->builtin_tools_set);
    rc |= lf_buf_puts(out, num);
    /* strings, each length-prefixed so that no two option sets collide */
    const char *strs[] = {r->messages_key, r->role_key, r->content_key, r->alpaca_joiner, r->default_system,
                          t->date, cfg->tools_path};
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++) {
        snprintf(num, sizeof num, "%zu:", strs[i] ? strlen(strs[i]) : (size_t)-1);
        rc |= lf_buf_puts(out, num);
        if (strs[i])
            rc |= lf_buf_puts(out, strs[i]);
    }
    snprintf(num, sizeof num, " sep=%zu:", cfg->wr.separator ? cfg->wr.separator_len : (size_t)-1);
    rc |= lf_buf_puts(out, num);
    if (cfg->wr.separator)
        rc |= lf_buf_append(out, cfg->wr.separator, cfg->wr.separator_len);
    for (size_t i = 0; i < r->n_aliases; i++) {
        snprintf(num, sizeof num, " alias=%zu:", strlen(r->aliases[i].from));
        rc |= lf_buf_puts(out, num) | lf_buf_puts(out, r->aliases[i].from);
        snprintf(num, sizeof num, "=%d", (int)r->aliases[i].to);
        rc |= lf_buf_puts(out, num);
    }
    for (size_t i = 0; i < r->n_builtin_tools; i++) {
        snprintf(num, sizeof num, " builtin=%zu:", strlen(r->builtin_tools[i]));
        rc |= lf_buf_puts(out, num) | lf_buf_puts(out, r->builtin_tools[i]);
    }
    for (size_t i = 0; i < cfg->n_keep; i++) {
        snprintf(num, sizeof num, " keep=%zu:", strlen(cfg->keep[i]));
        rc |= lf_buf_puts(out, num) | lf_buf_puts(out, cfg->keep[i]);
    }
    snprintf(num, sizeof num, " compress=%d on_error=%d dedup=%d shuffle=%zu seed=%llu", cfg->compress,
             (int)cfg->on_error, cfg->dedup, cfg->shuffle, (unsigned long long)cfg->seed);
    rc |= lf_buf_puts(out, num);
    for (size_t i = 0; i < cfg->n_splits; i++) {
        snprintf(num, sizeof num, " split=%zu:", strlen(cfg->splits[i].name));
        rc |= lf_buf_puts(out, num) | lf_buf_puts(out, cfg->splits[i].name);
        snprintf(num, sizeof num, "=%.17g", cfg->splits[i].fraction);
        rc |= lf_buf_puts(out, num);
    }
    snprintf(num, sizeof num, " max_tokens=%zu overlong=%d mask=%d tokenizer=%zu:", cfg->max_tokens, (int)cfg->overlong,
             cfg->attention_mask, cfg->tokenizer_path ? strlen(cfg->tokenizer_path) : (size_t)-1);
    rc |= lf_buf_puts(out, num);
    if (cfg->tokenizer_path)
        rc |= lf_buf_puts(out, cfg->tokenizer_path);
    return rc | lf_buf_putc(out, '\n');
}

/* Copy s into storage the config owns. */
static char *own(lf_config *cfg, const char *s, size_t n)
{
    char **v = realloc(cfg->owned, (cfg->n_owned + 1) * sizeof *v);
    if (v == NULL)
        return NULL;
    cfg->owned = v;
    char *d = malloc(n + 1);
    if (d == NULL)
        return NULL;
    memcpy(d, s, n);
    d[n] = '\0';
    cfg->owned[cfg->n_owned++] = d;
    return d;
}

#define usage(err, ...) lf_error_set((err), LF_E_USAGE, __VA_ARGS__)

/* A string option with escapes; *len gets its decoded length. */
static lf_code escaped(lf_config *cfg, const char *opt, const char *arg, const char **out, size_t *len,
                       int allow_nul, lf_error *err)
{
    char *d = own(cfg, arg, strlen(arg));
    if (d == NULL)
        return lf_error_set(err, LF_E_NOMEM, "out of memory");
    long n = lf_unescape(arg, d);
    if (n < 0)
        return lf_error_set(err, LF_E_USAGE, "%s: unknown escape in \"%s\" (use \\n \\t \\r \\0 \\\\)", opt, arg);
    if (!allow_nul && memchr(d, '\0', (size_t)n) != NULL)
        return lf_error_set(err, LF_E_USAGE, "%s: a NUL byte is not allowed here", opt);
    d[n] = '\0';
    if (!lf_utf8_valid(d, (size_t)n))
        return lf_error_set(err, LF_E_USAGE, "%s: not valid UTF-8", opt);
    *out = d;
    if (len)
        *len = (size_t)n;
    return LF_OK;
}

static lf_code parse_role_map(lf_config *cfg, const char *arg, lf_error *err)
{
    char *copy = own(cfg, arg, strlen(arg));
    if (copy == NULL)
        return lf_error_set(err, LF_E_NOMEM, "out of memory");
    char *save = NULL;
    for (char *item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(item, '=');
        if (eq == NULL || eq == item || eq[1] == '\0')
            return usage(err, "--role-map: expected NAME=ROLE, got \"%s\"", item);
        *eq = '\0';
        lf_role role;
        if (lf_role_parse(eq + 1, &role) != 0)
            return lf_error_set(err, LF_E_USAGE, "--role-map: unknown target role \"%s\" (system, user, assistant, tool)",
                                eq + 1);
        lf_role_alias *a = realloc(cfg->aliases, (cfg->rec.n_aliases + 1) * sizeof *a);
        if (a == NULL)
            return lf_error_set(err, LF_E_NOMEM, "out of memory");
        cfg->aliases = a;
        a[cfg->rec.n_aliases].from = item;
        a[cfg->rec.n_aliases].to = role;
        cfg->rec.n_aliases++;
        cfg->rec.aliases = cfg->aliases;
    }
    if (cfg->rec.n_aliases == 0)
        return usage(err, "--role-map: no mapping in \"%s\"", arg);
    return LF_OK;
}

static lf_code parse_keep(lf_config *cfg, const char *arg, lf_error *err)
{
    char *copy = own(cfg, arg, strlen(arg));
    if (copy == NULL)
        return lf_error_set(err, LF_E_NOMEM, "out of memory");
    char *save = NULL;
    for (char *key = strtok_r(copy, ",", &save); key; key = strtok_r(NULL, ",", &save)) {
        if (strcmp(key, "text") == 0)
            return usage(err, "--keep: \"%s\" would collide with the sample's own key", key);
        if (!lf_utf8_valid(key, strlen(key)))
            return usage(err, "--keep: key \"%s\" is not valid UTF-8", key);
        for (size_t i = 0; i < cfg->n_keep; i++)
            if (strcmp(cfg->keep[i], key) == 0)
                return usage(err, "--keep: key \"%s\" named twice", key);
        char **k = realloc(cfg->keep, (cfg->n_keep + 1) * sizeof *k);
        if (k == NULL)
            return lf_error_set(err, LF_E_NOMEM, "out of memory");
        cfg->keep = k;
        cfg->keep[cfg->n_keep++] = key;
    }
    if (cfg->n_keep == 0)
        return usage(err, "--keep: no key in \"%s\"", arg);
    return LF_OK;
}

static lf_code parse_builtin(lf_config *cfg, const char *arg, lf_error *err)
{
    char *copy = own(cfg, arg, strlen(arg));
    if (copy == NULL)
        return lf_error_set(err, LF_E_NOMEM, "out of memory");
    free(cfg->builtin);
    cfg->builtin = NULL;
    cfg->rec.n_builtin_tools = 0;
    char *save = NULL;
    for (char *name = strtok_r(copy, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
        if (lf_find_special(name, strlen(name), &(size_t){0}) >= 0 || !lf_utf8_valid(name, strlen(name)))
            return usage(err, "--builtin-tools: invalid tool name \"%s\"", name);
        char **v = realloc(cfg->builtin, (cfg->rec.n_builtin_tools + 1) * sizeof *v);
        if (v == NULL)
            return lf_error_set(err, LF_E_NOMEM, "out of memory");
        cfg->builtin = v;
        cfg->builtin[cfg->rec.n_builtin_tools++] = name;
    }
    cfg->rec.builtin_tools = (const char *const *)cfg->builtin;
    cfg->rec.builtin_tools_set = 1;
    return LF_OK;
}

/* A decimal number in [min, max]. */
static int number(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
    if (s == NULL || *s < '0' || *s > '9')
        return -1;
    uint64_t v = 0;
    for (; *s >= '0' && *s <= '9'; s++) {
        if (v > (UINT64_MAX - 9) / 10)
            return -1;
        v = v * 10 + (uint64_t)(*s - '0');
    }
    if (*s != '\0' || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

/* --split train=0.95,val=0.05: fractions must be positive and sum to 1. */
static lf_code parse_split(lf_config *cfg, const char *arg, lf_error *err)
{
    char *copy = own(cfg, arg, strlen(arg));
    if (copy == NULL)
        return lf_error_set(err, LF_E_NOMEM, "out of memory");
    cfg->n_splits = 0;
    double sum = 0;
    char *save = NULL;
    for (char *item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(item, '=');
        if (eq == NULL || eq == item)
            return usage(err, "--split: expected NAME=FRACTION, got \"%s\"", item);
        *eq = '\0';
        for (const char *c = item; *c; c++)
            if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '_' ||
                  *c == '-'))
                return usage(err, "--split: a split name is letters, digits, _ and -, got \"%s\"", item);
        char *end = NULL;
        errno = 0;
        double f = strtod(eq + 1, &end);
        if (errno != 0 || end == eq + 1 || *end != '\0' || !(f > 0 && f <= 1))
            return usage(err, "--split: fraction of \"%s\" must be in (0, 1], got \"%s\"", item, eq + 1);
        for (size_t i = 0; i < cfg->n_splits; i++)
            if (strcmp(cfg->splits[i].name, item) == 0)
                return usage(err, "--split: \"%s\" named twice", item);
        if (cfg->n_splits == LF_MAX_SPLITS)
            return usage(err, "--split: at most %d splits", LF_MAX_SPLITS);
        sum += f;
        cfg->splits[cfg->n_splits++] = (lf_split){item, f, 0};
    }
    if (cfg->n_splits == 0)
        return usage(err, "--split: no split in \"%s\"", arg);
    if (sum < 0.999999 || sum > 1.000001)
        return usage(err, "--split: the fractions add up to %g, not 1", sum);
    /* cumulative bounds on a 64-bit hash; the last split takes the rest */
    double acc = 0;
    for (size_t i = 0; i < cfg->n_splits; i++) {
        acc += cfg->splits[i].fraction / sum;
        cfg->splits[i].upto = i + 1 == cfg->n_splits || acc >= 1.0 ? UINT64_MAX : (uint64_t)(acc * 18446744073709551616.0);
    }
    return LF_OK;
}

static void defaults(lf_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->rec.shape = LF_SHAPE_AUTO;
    cfg->rec.special = LF_SPECIAL_ERROR;
    cfg->rec.tools_in_user = -1;
    cfg->tpl.profile = LF_PROFILE_OFFICIAL;
    cfg->tpl.date = LF_DEFAULT_DATE;
    cfg->tpl.bos = 1;
    cfg->tpl.end_of_text = -1;
    cfg->wr.format = LF_FORMAT_JSONL;
    cfg->max_record = LF_DEFAULT_MAX_RECORD;
    cfg->on_error = LF_ON_ERROR_FAIL;
    cfg->compress = -1;
    cfg->progress = -1;
    cfg->color = -1;
}

/* --check, --parse and --count-tokens exclude one another. */
static lf_code set_mode(lf_config *cfg, lf_mode mode, const char *opt, lf_error *err)
{
    static const char *const names[] = {"", "--check", "--parse", "--count-tokens"};
    if (cfg->mode != LF_MODE_CONVERT && cfg->mode != mode)
        return usage(err, "%s and %s are mutually exclusive", names[cfg->mode], opt);
    cfg->mode = mode;
    return LF_OK;
}

static lf_code keyopt(lf_config *cfg, const char *opt, const char *arg, const char **out, lf_error *err)
{
    if (*arg == '\0')
        return usage(err, "%s: the key must not be empty", opt);
    *out = own(cfg, arg, strlen(arg));
    return *out ? LF_OK : lf_error_set(err, LF_E_NOMEM, "out of memory");
}

lf_code lf_options_parse(lf_config *cfg, int argc, char **argv, lf_error *err)
{
    defaults(cfg);
    int to_given = 0, null_sep = 0, sep_given = 0, train_given = 0, overlong_given = 0;
    lf_code rc = LF_OK;
    optind = 0;         /* glibc: full reinitialisation; options may follow files */
    opterr = 0;
    for (;;) {
        int longidx = -1;
        int c = getopt_long(argc, argv, ":f:p:t:o:j:rO:0vqhV", long_opts, &longidx);
        if (c == -1)
            break;
        const char *a = optarg;
        switch (c) {
        case 'f':
            if (lf_shape_parse(a, &cfg->rec.shape) != 0)
                return usage(err, "--from: unknown shape \"%s\" (auto, messages, sharegpt, alpaca, flat)", a);
            break;
        case OPT_MESSAGES_KEY: rc = keyopt(cfg, "--messages-key", a, &cfg->rec.messages_key, err); break;
        case OPT_ROLE_KEY: rc = keyopt(cfg, "--role-key", a, &cfg->rec.role_key, err); break;
        case OPT_CONTENT_KEY: rc = keyopt(cfg, "--content-key", a, &cfg->rec.content_key, err); break;
        case OPT_ROLE_MAP: rc = parse_role_map(cfg, a, err); break;
        case OPT_ALPACA_JOINER: rc = escaped(cfg, "--alpaca-joiner", a, &cfg->rec.alpaca_joiner, NULL, 0, err); break;
        case OPT_SYSTEM: rc = escaped(cfg, "--system", a, &cfg->rec.default_system, NULL, 0, err); break;
        case OPT_SPECIAL:
            if (strcmp(a, "error") == 0)
                cfg->rec.special = LF_SPECIAL_ERROR;
            else if (strcmp(a, "strip") == 0)
                cfg->rec.special = LF_SPECIAL_STRIP;
            else if (strcmp(a, "allow") == 0)
                cfg->rec.special = LF_SPECIAL_ALLOW;
            else
                return usage(err, "--special-tokens: unknown mode \"%s\" (error, strip, allow)", a);
            break;
        case OPT_MAX_RECORD:
            if (lf_parse_size(a, &cfg->max_record) != 0)
                return usage(err, "--max-record-size: invalid size \"%s\" (e.g. 1000, 512K, 64M, 1G)", a);
            break;
        case 'p':
            if (lf_profile_parse(a, &cfg->tpl.profile) != 0)
                return usage(err, "--profile: unknown profile \"%s\" (official, meta, guide)", a);
            break;
        case OPT_DATE: {
            const char *d;
            size_t n;
            rc = escaped(cfg, "--date", a, &d, &n, 0, err);
            if (rc == LF_OK) {
                size_t tl;
                for (size_t i = 0; i < n; i++)
                    if ((unsigned char)d[i] < 0x20)
                        return usage(err, "--date: control characters are not allowed in \"%s\"", a);
                if (lf_find_special(d, n, &tl) >= 0)
                    return usage(err, "--date: special-token text is not allowed in \"%s\"", a);
                cfg->tpl.date = d;
            }
            break;
        }
        case OPT_BOS: cfg->tpl.bos = 1; break;
        case OPT_NO_BOS: cfg->tpl.bos = 0; break;
        case OPT_EOT: cfg->tpl.end_of_text = 1; break;
        case OPT_NO_EOT: cfg->tpl.end_of_text = 0; break;
        case OPT_GEN: cfg->tpl.generation_prompt = 1; break;
        case 't':
            if (lf_format_parse(a, &cfg->wr.format) != 0)
                return usage(err, "--to: unknown format \"%s\" (jsonl, text, prompt-completion, segments, messages, tokens)",
                             a);
            to_given = 1;
            break;
        case 'o':
            if (*a == '\0')
                return lf_error_set(err, LF_E_USAGE, "--output: empty file name");
            cfg->output = NULL;
            if (strcmp(a, "-") != 0 && (cfg->output = own(cfg, a, strlen(a))) == NULL)
                rc = lf_error_set(err, LF_E_NOMEM, "out of memory");
            break;
        case OPT_SEPARATOR:
            rc = escaped(cfg, "--separator", a, &cfg->wr.separator, &cfg->wr.separator_len, 1, err);
            sep_given = 1;
            break;
        case '0':
            cfg->wr.separator = "";
            cfg->wr.separator_len = 1;  /* the string's terminating NUL */
            null_sep = 1;
            break;
        case OPT_KEEP: rc = parse_keep(cfg, a, err); break;
        case OPT_TOOLS:
            if (*a == '\0')
                return lf_error_set(err, LF_E_USAGE, "--tools: empty file name");
            if ((cfg->tools_path = own(cfg, a, strlen(a))) == NULL)
                rc = lf_error_set(err, LF_E_NOMEM, "out of memory");
            break;
        case OPT_BUILTIN_TOOLS: rc = parse_builtin(cfg, a, err); break;
        case OPT_TOOLS_IN:
            if (strcmp(a, "user") == 0)
                cfg->rec.tools_in_user = 1;
            else if (strcmp(a, "system") == 0)
                cfg->rec.tools_in_user = 0;
            else
                return usage(err, "--tools-in: unknown place \"%s\" (user, system)", a);
            break;
        case OPT_LENIENT_TOOL_CALLS: cfg->rec.lenient_tool_calls = 1; break;
        case OPT_TRAIN_ON:
            if (lf_train_on_parse(a, &cfg->wr.train_on) != 0)
                return usage(err, "--train-on: unknown choice \"%s\" (assistant, last, all)", a);
            train_given = 1;
            break;
        case OPT_SPANS: cfg->wr.spans = 1; break;
        case OPT_SPLIT_TURNS: cfg->split_turns = 1; break;
        case OPT_ON_ERROR:
            if (strcmp(a, "fail") == 0)
                cfg->on_error = LF_ON_ERROR_FAIL;
            else if (strcmp(a, "skip") == 0)
                cfg->on_error = LF_ON_ERROR_SKIP;
            else
                return usage(err, "--on-error: unknown mode \"%s\" (fail, skip)", a);
            break;
        case OPT_REJECTS:
            if (*a == '\0')
                return lf_error_set(err, LF_E_USAGE, "--rejects: empty file name");
            if ((cfg->rejects = own(cfg, a, strlen(a))) == NULL)
                rc = lf_error_set(err, LF_E_NOMEM, "out of memory");
            break;
        case OPT_STATS:
            if (a == NULL || strcmp(a, "text") == 0)
                cfg->stats = LF_STATS_TEXT;
            else if (strcmp(a, "json") == 0)
                cfg->stats = LF_STATS_JSON;
            else
                return usage(err, "--stats: unknown format \"%s\" (text, json)", a);
            break;
        case 'j': {
            char *end = NULL;
            errno = 0;
            unsigned long v = strtoul(a, &end, 10);
            if (errno != 0 || end == a || *end != '\0' || v > 256 || a[0] == '-')
                return usage(err, "--threads: expected a number from 0 to 256, got \"%s\"", a);
            cfg->threads = (size_t)v;
            break;
        }
        case 'r': cfg->recursive = 1; break;
        case 'O':
            if (*a == '\0')
                return lf_error_set(err, LF_E_USAGE, "--output-dir: empty directory name");
            if ((cfg->outdir = own(cfg, a, strlen(a))) == NULL)
                rc = lf_error_set(err, LF_E_NOMEM, "out of memory");
            break;
        case OPT_COMPRESS: {
            lf_codec codec;
            if (lf_codec_parse(a, &codec) != 0)
                return usage(err, "--compress: unknown choice \"%s\" (none, gz, zst)", a);
            cfg->compress = (int)codec;
            break;
        }
        case OPT_FORCE: cfg->force = 1; break;
        case OPT_UPDATE: cfg->update = 1; break;
        case OPT_FOLLOW: cfg->follow_symlinks = 1; break;
        case OPT_PROGRESS: cfg->progress = 1; break;
        case OPT_NO_PROGRESS: cfg->progress = 0; break;
        case OPT_TOKENIZER:
            if (*a == '\0')
                return lf_error_set(err, LF_E_USAGE, "--tokenizer: empty file name");
            if ((cfg->tokenizer_path = own(cfg, a, strlen(a))) == NULL)
                rc = lf_error_set(err, LF_E_NOMEM, "out of memory");
            break;
        case OPT_MAX_TOKENS: {
            uint64_t v;
            if (number(a, 1, (uint64_t)INT32_MAX, &v) != 0)
                return usage(err, "--max-tokens: expected a positive number, got \"%s\"", a);
            cfg->max_tokens = (size_t)v;
            break;
        }
        case OPT_OVERLONG:
            if (strcmp(a, "drop") == 0)
                cfg->overlong = LF_OVERLONG_DROP;
            else if (strcmp(a, "drop-turns") == 0)
                cfg->overlong = LF_OVERLONG_DROP_TURNS;
            else if (strcmp(a, "truncate") == 0)
                cfg->overlong = LF_OVERLONG_TRUNCATE;
            else if (strcmp(a, "error") == 0)
                cfg->overlong = LF_OVERLONG_ERROR;
            else
                return usage(err, "--overlong: unknown choice \"%s\" (drop, drop-turns, truncate, error)", a);
            overlong_given = 1;
            break;
        case OPT_COUNT_TOKENS:
            if (a == NULL || strcmp(a, "per-sample") == 0)
                cfg->count_total = 0;
            else if (strcmp(a, "total") == 0)
                cfg->count_total = 1;
            else
                return usage(err, "--count-tokens: unknown choice \"%s\" (per-sample, total)", a);
            if (set_mode(cfg, LF_MODE_COUNT_TOKENS, "--count-tokens", err) != LF_OK)
                return LF_E_USAGE;
            break;
        case OPT_ATTENTION_MASK: cfg->attention_mask = 1; break;
        case OPT_CHECK:
            if (set_mode(cfg, LF_MODE_CHECK, "--check", err) != LF_OK)
                return LF_E_USAGE;
            break;
        case OPT_PARSE:
            if (set_mode(cfg, LF_MODE_PARSE, "--parse", err) != LF_OK)
                return LF_E_USAGE;
            break;
        case OPT_DEDUP: cfg->dedup = 1; break;
        case OPT_SPLIT: rc = parse_split(cfg, a, err); break;
        case OPT_SHUFFLE: {
            uint64_t v = LF_DEFAULT_SHUFFLE;
            if (a != NULL && number(a, 1, (uint64_t)1 << 30, &v) != 0)
                return usage(err, "--shuffle: expected a buffer of 1 to 2^30 samples, got \"%s\"", a);
            cfg->shuffle = (size_t)v;
            break;
        }
        case OPT_SEED:
            if (number(a, 0, UINT64_MAX, &cfg->seed) != 0)
                return usage(err, "--seed: expected a number from 0 to 2^64-1, got \"%s\"", a);
            break;
        case OPT_COLOR:
            if (strcmp(a, "auto") == 0)
                cfg->color = -1;
            else if (strcmp(a, "always") == 0)
                cfg->color = 1;
            else if (strcmp(a, "never") == 0)
                cfg->color = 0;
            else
                return usage(err, "--color: unknown choice \"%s\" (auto, always, never)", a);
            break;
        case 'v': cfg->verbose = 1; break;
        case 'q': cfg->quiet = 1; break;
        case 'h': cfg->help = 1; break;
        case 'V': cfg->version = 1; break;
        case ':':
            return usage(err, "option %s needs a value", argv[optind - 1]);
        case '?':
        default:
            if (optopt != 0 && optopt < 256)
                return lf_error_set(err, LF_E_USAGE, "unknown option -%c", (char)optopt);
            return usage(err, "unknown option %s", argv[optind - 1]);
        }
        if (rc != LF_OK)
            return rc;
    }
    if (null_sep && sep_given)
        return lf_error_set(err, LF_E_USAGE, "-0 and --separator are mutually exclusive");
    if (null_sep && !to_given)
        cfg->wr.format = LF_FORMAT_TEXT;
    if ((null_sep || sep_given) && cfg->wr.format != LF_FORMAT_TEXT)
        return usage(err, "%s only applies to --to text", null_sep ? "-0" : "--separator");
    if (cfg->n_keep > 0 && cfg->wr.format == LF_FORMAT_TEXT)
        return lf_error_set(err, LF_E_USAGE, "--keep does not apply to --to text");
    if (cfg->wr.spans && cfg->wr.format != LF_FORMAT_JSONL)
        return lf_error_set(err, LF_E_USAGE, "--spans only applies to --to jsonl");
    if (train_given && !(cfg->wr.spans || cfg->wr.format == LF_FORMAT_SEGMENTS || cfg->wr.format == LF_FORMAT_TOKENS))
        return lf_error_set(err, LF_E_USAGE, "--train-on only matters with --spans, --to segments or --to tokens");
    if (cfg->split_turns) {
        if (cfg->wr.train_on == LF_TRAIN_ALL)
            return lf_error_set(err, LF_E_USAGE, "--split-turns trains on each sample's final turn; --train-on=all contradicts it");
        cfg->wr.train_on = LF_TRAIN_LAST;
    }
    if (cfg->wr.format == LF_FORMAT_TOKENS || cfg->max_tokens > 0 || cfg->mode == LF_MODE_COUNT_TOKENS) {
        if (cfg->tokenizer_path == NULL)
            return usage(err, "%s needs --tokenizer FILE (the model's tokenizer.json or tokenizer.model)",
                         cfg->mode == LF_MODE_COUNT_TOKENS ? "--count-tokens"
                         : cfg->max_tokens > 0             ? "--max-tokens"
                                                           : "--to tokens");
    }
    if (cfg->overlong == LF_OVERLONG_TRUNCATE && cfg->wr.format != LF_FORMAT_TOKENS && cfg->mode != LF_MODE_COUNT_TOKENS)
        return usage(err, "--overlong=truncate cuts token ids: it needs --to tokens or --count-tokens");
    if (overlong_given && cfg->max_tokens == 0)
        return lf_error_set(err, LF_E_USAGE, "--overlong only matters with --max-tokens");
    if (cfg->attention_mask && cfg->wr.format != LF_FORMAT_TOKENS)
        return lf_error_set(err, LF_E_USAGE, "--attention-mask only applies to --to tokens");
    if (cfg->mode != LF_MODE_CONVERT) {
        const char *m = cfg->mode == LF_MODE_CHECK ? "--check" : cfg->mode == LF_MODE_PARSE ? "--parse" : "--count-tokens";
        if (to_given && cfg->mode != LF_MODE_PARSE)
            return usage(err, "%s writes no samples; --to does not apply", m);
        if (cfg->n_splits > 0 || cfg->shuffle > 0)
            return usage(err, "%s and %s do not go together", m, cfg->n_splits > 0 ? "--split" : "--shuffle");
        if (cfg->outdir != NULL)
            return usage(err, "-O does not apply to %s", m);
        if (cfg->mode == LF_MODE_PARSE && to_given && cfg->wr.format != LF_FORMAT_MESSAGES)
            return usage(err, "--parse writes messages; --to %s does not apply", lf_format_name(cfg->wr.format));
    }
    if (cfg->verbose && cfg->quiet)
        return lf_error_set(err, LF_E_USAGE, "--verbose and --quiet are mutually exclusive");
    for (int i = optind; i < argc; i++) {
        char **v = realloc(cfg->inputs, (cfg->n_inputs + 1) * sizeof *v);
        if (v == NULL)
            return lf_error_set(err, LF_E_NOMEM, "out of memory");
        cfg->inputs = v;
        cfg->inputs[cfg->n_inputs] = own(cfg, argv[i], strlen(argv[i]));
        if (cfg->inputs[cfg->n_inputs] == NULL)
            return lf_error_set(err, LF_E_NOMEM, "out of memory");
        cfg->n_inputs++;
    }
    if (cfg->outdir != NULL && cfg->output != NULL)
        return lf_error_set(err, LF_E_USAGE, "-o and -O are mutually exclusive");
    if ((cfg->force || cfg->update) && cfg->outdir == NULL)
        return lf_error_set(err, LF_E_USAGE, "%s only applies with -O", cfg->force ? "--force" : "--update");
    if (cfg->compress >= 0 && cfg->outdir == NULL)
        return lf_error_set(err, LF_E_USAGE, "--compress only applies with -O (with -o, name the file .gz or .zst)");
    if (cfg->output != NULL && cfg->rejects != NULL && strcmp(cfg->output, cfg->rejects) == 0)
        return usage(err, "--output and --rejects name the same file \"%s\"", cfg->output);
    if (cfg->dedup && cfg->update)
        return usage(err, "--dedup must read every input; it does not go with --update");
    if (cfg->n_splits > 0 && cfg->output == NULL && cfg->outdir == NULL)
        return usage(err, "--split writes one output per split: give -o FILE or -O DIR");
    return LF_OK;
}

void lf_config_free(lf_config *cfg)
{
    for (size_t i = 0; i < cfg->n_owned; i++)
        free(cfg->owned[i]);
    free(cfg->owned);
    free(cfg->inputs);
    free(cfg->keep);
    free(cfg->aliases);
    free(cfg->builtin);
    memset(cfg, 0, sizeof *cfg);
}
