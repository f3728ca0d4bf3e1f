// The HTTP side: OpenAI-compatible /v1/chat/completions through cpp-httplib, with retries.
#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <thread>

#include <httplib.h>

#include "crema/label/label.h"

namespace crema::label {
namespace {

constexpr std::string_view kChatSuffix = "/chat/completions";
constexpr size_t kExcerptBytes = 300;

struct ParsedUrl {
  std::string scheme_host_port;  // "http://host:port"
  std::string path;              // "/v1/chat/completions"
};

Result<ParsedUrl> parse_url(std::string_view url) {
  const auto bad = [&url](const std::string& why) {
    return make_error(ErrorCode::kInvalidArgument, "endpoint '" + std::string(url) + "': " + why);
  };
  const size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return bad("expected http://host[:port][/path]");
  const std::string_view scheme = url.substr(0, scheme_end);
  if (scheme != "http" && scheme != "https") return bad("the scheme must be http or https");
  std::string_view rest = url.substr(scheme_end + 3);
  const size_t slash = rest.find('/');
  const std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
  if (authority.empty()) return bad("no host");
  if (authority.find_first_of(" @?#") != std::string_view::npos) return bad("unexpected character in the host");
  if (path.find_first_of(" ?#") != std::string_view::npos) return bad("query strings and fragments are not supported");
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  ParsedUrl parsed;
  parsed.scheme_host_port = std::string(scheme) + "://" + std::string(authority);
  if (path.empty()) {
    parsed.path = "/v1" + std::string(kChatSuffix);
  } else if (path.ends_with(kChatSuffix)) {
    parsed.path = std::string(path);
  } else {
    parsed.path = std::string(path) + std::string(kChatSuffix);
  }
  return parsed;
}

std::string excerpt(std::string_view body) {
  std::string out(body.substr(0, kExcerptBytes));
  if (body.size() > kExcerptBytes) out += "…";
  return out;
}

std::string seconds_text(double seconds) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g s", seconds);
  return buf;
}

// httplib names its errors by enum ("Connection", "Read"); say what happened instead.
std::string transport_error(httplib::Error error, const ClientOptions& options) {
  switch (error) {
    case httplib::Error::Connection:
      return "could not connect (refused, unreachable, or no answer within " +
             seconds_text(options.connect_timeout_s) + ")";
    case httplib::Error::ConnectionTimeout: return "the connection timed out";
    case httplib::Error::Read:
      return "no complete reply within " + seconds_text(options.timeout_s) +
             " (timed out or the connection was closed)";
    case httplib::Error::Write: return "sending the request failed (the connection was closed)";
    case httplib::Error::SSLConnection: return "the TLS handshake failed";
    case httplib::Error::SSLLoadingCerts: return "the system's CA certificates could not be loaded";
    case httplib::Error::SSLServerVerification: return "the server's TLS certificate was not accepted";
    default: return "HTTP client error " + httplib::to_string(error);
  }
}

bool retryable_status(int status) { return status == 408 || status == 429 || status >= 500; }

// Seconds from a Retry-After header holding delta-seconds; negative when absent or a date.
double retry_after_s(const httplib::Response& res) {
  if (!res.has_header("Retry-After")) return -1.0;
  const std::string value = res.get_header_value("Retry-After");
  int seconds = -1;
  const auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
  if (ec != std::errc() || ptr != value.data() + value.size() || seconds < 0) return -1.0;
  return seconds;
}

std::chrono::milliseconds to_ms(double seconds) {
  return std::chrono::milliseconds(static_cast<int64_t>(std::llround(std::max(0.0, seconds) * 1000.0)));
}

class HttpChatClient final : public ChatClient {
 public:
  HttpChatClient(Endpoint endpoint, ClientOptions options, ParsedUrl url)
      : endpoint_(std::move(endpoint)),
        options_(std::move(options)),
        url_(std::move(url)),
        client_(url_.scheme_host_port) {
    client_.set_connection_timeout(to_ms(options_.connect_timeout_s));
    client_.set_read_timeout(to_ms(options_.timeout_s));
    client_.set_write_timeout(to_ms(options_.timeout_s));
    client_.set_keep_alive(true);
    // httplib writes headers and body apart: without TCP_NODELAY, Nagle's algorithm and the
    // server's delayed ACK hold every request back by tens of milliseconds.
    client_.set_tcp_nodelay(true);
    if (!endpoint_.api_key.empty()) client_.set_bearer_token_auth(endpoint_.api_key);
  }

  bool valid() const { return client_.is_valid(); }

  Answer label_post(std::string_view post_text) override {
    const std::string body = request_body(endpoint_, options_, post_text);
    Answer answer;
    double wait_s = options_.backoff_s;
    for (int attempt = 0;; ++attempt) {
      double retry_after = -1.0;
      bool retry = false;
      try {
        auto res = client_.Post(url_.path, body, "application/json");
        if (!res) {
          answer.reason = "request failed: " + transport_error(res.error(), options_);
          answer.raw.clear();
          retry = true;
        } else if (res->status >= 200 && res->status < 300) {
          Answer parsed = parse_chat_response(res->body);
          parsed.attempts = attempt + 1;
          return parsed;
        } else {
          answer.reason = "HTTP " + std::to_string(res->status);
          answer.raw = excerpt(res->body);
          retry = retryable_status(res->status);
          retry_after = retry_after_s(*res);
        }
      } catch (const std::exception& e) {  // httplib parses numbers with throwing std calls
        answer.reason = std::string("request failed: ") + e.what();
        retry = true;
      }
      answer.status = AnswerStatus::kError;
      answer.attempts = attempt + 1;
      if (!retry || attempt >= options_.max_retries) return answer;
      const double pause = retry_after >= 0.0 ? retry_after : wait_s;
      std::this_thread::sleep_for(to_ms(std::min(pause, options_.max_backoff_s)));
      wait_s *= 2.0;
    }
  }

 private:
  Endpoint endpoint_;
  ClientOptions options_;
  ParsedUrl url_;
  httplib::Client client_;
};

}  // namespace

Result<std::string> chat_completions_url(std::string_view url) {
  auto parsed = parse_url(url);
  if (!parsed) return tl::unexpected(parsed.error());
  return parsed->scheme_host_port + parsed->path;
}

std::string endpoint_key(const Endpoint& endpoint) {
  auto full = chat_completions_url(endpoint.url);
  const std::string url = full ? *full : endpoint.url;
  return endpoint.model.empty() ? url : endpoint.model + "@" + url;
}

Result<std::unique_ptr<ChatClient>> ChatClient::create(const Endpoint& endpoint, const ClientOptions& options) {
  auto url = parse_url(endpoint.url);
  if (!url) return tl::unexpected(url.error());
  try {
    auto client = std::make_unique<HttpChatClient>(endpoint, options, *url);
    if (!client->valid()) {
      return make_error(ErrorCode::kUnsupported, "endpoint '" + endpoint.url +
                                                     "': this build's HTTP client cannot open it (https:// "
                                                     "needs cpp-httplib with OpenSSL)");
    }
    return std::unique_ptr<ChatClient>(std::move(client));
  } catch (const std::exception& e) {
    return make_error(ErrorCode::kInvalidArgument, "endpoint '" + endpoint.url + "': " + e.what());
  }
}

}  // namespace crema::label
