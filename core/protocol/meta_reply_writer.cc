#include "core/protocol/meta_reply_writer.h"

#include <cstring>
#include <string>

#include "core/keys/base64.h"
#include "core/protocol/ascii_internal.h"

namespace memkit {
namespace protocol {

using internal::CopyTo;
using internal::FormatI64;
using internal::FormatU64;
using keys::Base64EncodedSize;

absl::string_view MetaCodeName(MetaCode code) {
  switch (code) {
    case MetaCode::kHD:
      return "HD";
    case MetaCode::kVA:
      return "VA";
    case MetaCode::kEN:
      return "EN";
    case MetaCode::kNF:
      return "NF";
    case MetaCode::kNS:
      return "NS";
    case MetaCode::kEX:
      return "EX";
    case MetaCode::kMN:
      return "MN";
  }
  return "??";
}

bool MetaReplyLine::Reserve(size_t n) {
  // Two bytes stay free for Finish()'s "\r\n".
  if (len_ + n + 2 > kCapacity) {
    overflow_ = true;
    return false;
  }
  return true;
}

void MetaReplyLine::Start(MetaCode code) {
  absl::string_view name = MetaCodeName(code);
  std::memcpy(buf_, name.data(), 2);
  len_ = 2;
  overflow_ = false;
}

void MetaReplyLine::StartValue(size_t length) {
  std::memcpy(buf_, "VA ", 3);
  len_ = static_cast<size_t>(FormatU64(length, buf_ + 3) - buf_);
  overflow_ = false;
}

void MetaReplyLine::AddNumber(char flag, uint64_t value) {
  if (!Reserve(2 + internal::kMaxU64Digits)) return;
  buf_[len_++] = ' ';
  buf_[len_++] = flag;
  len_ = static_cast<size_t>(FormatU64(value, buf_ + len_) - buf_);
}

void MetaReplyLine::AddSigned(char flag, int64_t value) {
  if (!Reserve(2 + internal::kMaxI64Chars + 1)) return;
  buf_[len_++] = ' ';
  buf_[len_++] = flag;
  len_ = static_cast<size_t>(FormatI64(value, buf_ + len_) - buf_);
}

void MetaReplyLine::AddToken(char flag, absl::string_view token) {
  if (!Reserve(2 + token.size())) return;
  buf_[len_++] = ' ';
  buf_[len_++] = flag;
  len_ = static_cast<size_t>(CopyTo(buf_ + len_, token) - buf_);
}

void MetaReplyLine::AddFlag(char flag) {
  if (!Reserve(2)) return;
  buf_[len_++] = ' ';
  buf_[len_++] = flag;
}

void MetaReplyLine::AddKey(absl::string_view key, bool base64) {
  if (!base64) {
    AddToken('k', key);
    return;
  }
  if (!Reserve(2 + Base64EncodedSize(key.size()) + 2)) return;
  buf_[len_++] = ' ';
  buf_[len_++] = 'k';
  char* p = keys::Base64EncodeTo(key, buf_ + len_);
  *p++ = ' ';
  *p++ = 'b';
  len_ = static_cast<size_t>(p - buf_);
}

absl::string_view MetaReplyLine::Finish() {
  buf_[len_++] = '\r';
  buf_[len_++] = '\n';
  return absl::string_view(buf_, len_);
}

void AddMetaReturnFlags(const AsciiRequest& request, absl::string_view which,
                        const MetaItemInfo& item, MetaReplyLine* line) {
  for (const MetaFlag& f : request.meta_flags()) {
    if (which.find(f.flag) == absl::string_view::npos) continue;
    switch (f.flag) {
      case 's':
        line->AddNumber('s', item.size);
        break;
      case 't':
        line->AddSigned('t', item.ttl);
        break;
      case 'c':
        line->AddNumber('c', item.cas);
        break;
      case 'f':
        line->AddNumber('f', item.flags);
        break;
      case 'l':
        line->AddNumber('l', item.last_access);
        break;
      case 'h':
        line->AddNumber('h', item.fetched ? 1 : 0);
        break;
      case 'O':
        line->AddToken('O', f.token);
        break;
      case 'k':
        line->AddKey(request.key, item.key_is_base64);
        break;
      default:
        break;
    }
  }
}

void WriteMetaStatus(AsciiSink* sink, MetaCode code, const AsciiRequest& request) {
  MetaReplyLine line;
  line.Start(code);
  MetaItemInfo info;
  info.key_is_base64 = request.key_is_base64;
  AddMetaReturnFlags(request, "Ok", info, &line);
  sink->Append(line.Finish());
}

void WriteMetaValue(AsciiSink* sink, MetaReplyLine* line, absl::string_view value) {
  sink->Append(line->Finish());
  sink->AppendRef(value);
  sink->Append("\r\n");
}

void WriteMetaDebug(AsciiSink* sink, absl::string_view key, bool key_is_base64, int64_t exp,
                    uint64_t last_access, uint64_t cas, bool fetched, uint32_t slab_class,
                    uint64_t size) {
  char buf[3 + 344 + 160];
  std::string heap;
  char* p = buf;
  const size_t key_room = key_is_base64 ? Base64EncodedSize(key.size()) : key.size();
  if (key_room > 344) {
    heap.resize(3 + key_room + 160);
    p = &heap[0];
  }
  char* start = p;
  std::memcpy(p, "ME ", 3);
  p += 3;
  p = key_is_base64 ? keys::Base64EncodeTo(key, p) : CopyTo(p, key);
  std::memcpy(p, " exp=", 5);
  p = FormatI64(exp, p + 5);
  std::memcpy(p, " la=", 4);
  p = FormatU64(last_access, p + 4);
  std::memcpy(p, " cas=", 5);
  p = FormatU64(cas, p + 5);
  p = CopyTo(p, fetched ? absl::string_view(" fetch=yes") : absl::string_view(" fetch=no"));
  std::memcpy(p, " cls=", 5);
  p = FormatU64(slab_class, p + 5);
  std::memcpy(p, " size=", 6);
  p = FormatU64(size, p + 6);
  *p++ = '\r';
  *p++ = '\n';
  sink->Append(absl::string_view(start, static_cast<size_t>(p - start)));
}

}  // namespace protocol
}  // namespace memkit
