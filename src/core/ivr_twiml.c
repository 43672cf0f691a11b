/*
 * One IVR move as TwiML (ivr.h): what Twilio's voice webhook answers. Pure.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "ivr.h"

static void xml_text(struct buf *b, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&': buf_str(b, "&amp;"); break;
        case '<': buf_str(b, "&lt;"); break;
        case '>': buf_str(b, "&gt;"); break;
        case '"': buf_str(b, "&quot;"); break;
        case '\'': buf_str(b, "&apos;"); break;
        default: buf_add(b, s, 1);
        }
    }
}

/* name="value" with the value escaped; nothing when value is NULL. */
static void attr(struct buf *b, const char *name, const char *value)
{
    if (value == NULL)
        return;
    buf_printf(b, " %s=\"", name);
    xml_text(b, value);
    buf_str(b, "\"");
}

static void prompt(struct buf *b, const struct ivr_prompt *p)
{
    if (p->audio_url != NULL) {
        buf_str(b, "<Play>");
        xml_text(b, p->audio_url);
        buf_str(b, "</Play>");
    } else if (p->text != NULL) {
        buf_str(b, "<Say");
        attr(b, "language", p->language);
        attr(b, "voice", p->voice);
        buf_str(b, ">");
        xml_text(b, p->text);
        buf_str(b, "</Say>");
    }
}

static void gather(struct buf *b, const struct ivr_out *out, const struct ivr_node *n,
                   const char *url)
{
    buf_str(b, "<Gather input=\"dtmf\" method=\"POST\" actionOnEmptyResult=\"true\"");
    attr(b, "action", url);
    buf_printf(b, " timeout=\"%d\" numDigits=\"%d\"", n->timeout,
               n->type == IVR_MENU ? 1 : n->num_digits);
    attr(b, "finishOnKey", n->type == IVR_GATHER ? (n->finish_on_key ? n->finish_on_key : "")
                                                  : NULL);
    buf_str(b, ">");
    for (size_t i = 0; i < out->nprompts; i++)
        prompt(b, &out->prompts[i]);
    buf_str(b, "</Gather>");
}

static void element(struct buf *b, const char *name, const char *text)
{
    buf_printf(b, "<%s>", name);
    xml_text(b, text);
    buf_printf(b, "</%s>", name);
}

static void route_end(struct buf *b, const struct ivr_out *out, const char *voice_url)
{
    const char *type = out->target_type, *t = out->target;
    if (strcmp(type, "queue") == 0 || strcmp(type, "department") == 0) {
        element(b, "Enqueue", t);
    } else if (strcmp(type, "agent") == 0) {
        buf_str(b, "<Dial>");
        element(b, "Client", t);
        buf_str(b, "</Dial>");
    } else if (strcmp(type, "external") == 0) {
        element(b, "Dial", t);
    } else if (strcmp(type, "flow") == 0) {
        buf_str(b, "<Redirect method=\"POST\">");
        xml_text(b, voice_url);
        buf_str(b, "?flow=");
        xml_text(b, t);
        buf_str(b, "</Redirect>");
    } else { /* voicemail */
        buf_str(b, "<Record method=\"POST\" maxLength=\"120\" playBeep=\"true\" action=\"");
        xml_text(b, "/webhooks/twilio/voicemail?box=");
        xml_text(b, t ? t : "");
        buf_str(b, "\"/>");
    }
}

char *ivr_twiml(const struct ivr_out *out, const struct ivr_graph *g, const char *gather_url,
                const char *voice_url)
{
    struct buf b;
    buf_init(&b);
    buf_str(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response>");
    if (out->wait_node >= 0) {
        gather(&b, out, &g->nodes[out->wait_node], gather_url);
    } else {
        for (size_t i = 0; i < out->nprompts; i++)
            prompt(&b, &out->prompts[i]);
    }
    if (out->end == IVR_ROUTED)
        route_end(&b, out, voice_url);
    else if (out->end == IVR_COMPLETED)
        buf_str(&b, "<Hangup/>");
    buf_str(&b, "</Response>");
    if (b.failed) {
        buf_free(&b);
        return NULL;
    }
    return b.p;
}
