/*
 * template_text.h - the fixed texts of the Llama 3.1 format, shared by the
 * renderer (template.c) and the reader of rendered samples (parse.c), so
 * that the two can never disagree on a byte.  Private to the library.
 */
#ifndef LLAMAFMT_TEMPLATE_TEXT_H
#define LLAMAFMT_TEMPLATE_TEXT_H

#define BOS "<|begin_of_text|>"
#define EOT_TEXT "<|end_of_text|>"
#define START "<|start_header_id|>"
#define END "<|end_header_id|>"
#define EOT "<|eot_id|>"
#define EOM "<|eom_id|>"
#define PYTHON_TAG "<|python_tag|>"

/* The official template's system block and tool texts. */
#define ENVIRONMENT "Environment: ipython\n"
#define TOOLS_LINE "Tools: "
#define KNOWLEDGE "Cutting Knowledge Date: December 2023\nToday Date: "
#define SYSTEM_TOOLS_PREAMBLE                                                                              \
    "You have access to the following functions. To call a function, please respond with JSON for a "  \
    "function call.Respond in the format {\"name\": function name, \"parameters\": dictionary of "     \
    "argument name and its value}.Do not use variables.\n\n"
#define USER_TOOLS_PREAMBLE                                                                                \
    "Given the following functions, please respond with a JSON for a function call with its proper "    \
    "arguments that best answers the given prompt.\n\nRespond in the format {\"name\": function name, " \
    "\"parameters\": dictionary of argument name and its value}.Do not use variables.\n\n"
/* A custom tool call (official), and Meta's function call. */
#define CUSTOM_CALL "{\"name\": \""
#define CUSTOM_PARAMS "\", \"parameters\": "
#define META_CALL "{\"type\": \"function\", \"name\": "
#define META_PARAMS ", \"parameters\": "

#endif
