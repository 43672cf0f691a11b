/* What a recording is, as libsndfile reads it: the only file that includes <sndfile.h>. */
#include "recording.h"

#include <sndfile.h>
#include <string.h>

/* The container formats we keep; a recording's format is what the file is, not its name. */
static const char *format_name(int format)
{
    switch (format & SF_FORMAT_TYPEMASK) {
    case SF_FORMAT_WAV:
    case SF_FORMAT_WAVEX:
    case SF_FORMAT_RF64:
        return "wav";
    case SF_FORMAT_OGG:
        return "ogg";
#ifdef SF_FORMAT_MPEG
    case SF_FORMAT_MPEG:
        return "mp3";
#endif
    default:
        return NULL;
    }
}

int audio_info_read(const char *path, struct audio_info *out)
{
    SF_INFO info;
    memset(&info, 0, sizeof(info));
    memset(out, 0, sizeof(*out));
    SNDFILE *f = sf_open(path, SFM_READ, &info);
    if (f == NULL)
        return -1;
    int rc = 0;
    if (info.samplerate <= 0 || info.channels <= 0) {
        rc = -1;
        goto out;
    }
    out->format = format_name(info.format);
    if (out->format == NULL) {
        rc = 1;
        goto out;
    }
    /* An MP3 without a header giving its length may report no frame count. */
    out->frames = info.frames > 0 && info.frames < SF_COUNT_MAX ? (long long)info.frames : 0;
    out->sample_rate = info.samplerate;
    out->channels = info.channels;
    out->duration = (out->frames + info.samplerate / 2) / info.samplerate;
out:
    sf_close(f);
    return rc;
}
