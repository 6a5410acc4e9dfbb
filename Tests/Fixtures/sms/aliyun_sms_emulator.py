#!/usr/bin/env python3
"""An emulator of Alibaba Cloud Short Message Service (阿里云短信服务) for Dealer CRM's tests (M5).

It speaks the provider's real API: `SendSms` (RPC style, API version 2017-05-25) as a GET query or a
POST form body, signed with signature v1 (HMAC-SHA1 over `POST&%2F&<percent-encoded canonical
query>`, keyed with the AccessKey secret + "&"). It checks what the real service checks — the
common parameters, the AccessKey id, the signature, a nonce used once — and answers in its JSON
format: {"Code": "OK", "Message": "OK", "BizId": ..., "RequestId": ...} or an error Code.

Like a provider that honours an idempotency key, it accepts one message per `OutId`: a request
repeating an accepted OutId gets the first answer again and no second message — unless told
{"dedup": false}, when it behaves as Aliyun documents (every SendSms sends), and only the client's
own lookup (`QuerySendDetails`, which it answers with the messages of a mobile and day, `OutId`
included) keeps a retry from sending twice. It counts requests and messages per OutId, messages per
mobile and lookups per mobile (GET /stats), so a test can prove "exactly once".

It pushes delivery receipts (SmsReport, a JSON array with out_id, biz_id, success, err_code …) to
the callback URL after accepting a message, and a customer's reply (SmsUp) on request.

Control (JSON POST /control): {"failOnce": [mobiles]} — the next SendSms for each answers HTTP 500
isp.SYSTEM_ERROR without accepting; {"timeoutOnce": [mobiles]} — the next SendSms for each is
accepted, then answered only after `timeoutSeconds` (the client has given up by then);
{"rejectMobiles": [mobiles]} — always isv.MOBILE_NUMBER_ILLEGAL; {"receipts": false} stops receipts;
{"receiptsFail": [mobiles]} — their receipts say not delivered; {"receiptsUrl", "repliesUrl"} set where
pushes go. POST /control/reply {"mobile", "content"}
pushes an SmsUp reply to the replies URL.

Usage: aliyun_sms_emulator.py --access-key-id ID --access-key-secret SECRET
           [--receipts-url URL] [--replies-url URL] [--port 0]
Prints "listening <port>" on its first line of stdout.
"""
import argparse
import base64
import datetime
import hashlib
import hmac
import json
import sys
import threading
import time
import urllib.parse
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def percent_encode(text):
    return urllib.parse.quote(text, safe="-_.~")


def signature(method, params, secret):
    canonical = "&".join(
        f"{percent_encode(k)}={percent_encode(params[k])}" for k in sorted(params) if k != "Signature")
    to_sign = f"{method}&{percent_encode('/')}&{percent_encode(canonical)}"
    mac = hmac.new((secret + "&").encode(), to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(mac).decode()


class State:
    def __init__(self, args):
        self.lock = threading.Lock()
        self.args = args
        self.nonces = set()
        self.accepted = {}  # OutId -> answer
        self.requests = {}  # OutId -> count of SendSms requests
        self.messages = {}  # OutId -> messages actually sent (0 or 1)
        self.by_mobile = {}  # mobile -> messages actually sent
        self.log = []
        self.fail_once = set()
        self.timeout_once = set()
        self.reject = set()
        self.receipts_fail = set()
        self.receipts = True
        self.timeout_seconds = 5.0
        self.dedup = True
        self.pending = []  # (due time, receipt) waiting for the next batch push
        self.sent = []  # every message sent, for QuerySendDetails
        self.queries = {}  # mobile -> QuerySendDetails calls


def push(url, items):
    if not url:
        return
    request = urllib.request.Request(url, data=json.dumps(items, ensure_ascii=False).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")
    for attempt in range(10):
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                if response.status == 200:
                    return
        except Exception as error:  # noqa: BLE001 - a provider retries its pushes
            print(f"push to {url} failed: {error}", file=sys.stderr, flush=True)
        time.sleep(0.5 * (attempt + 1))


def make_handler(state):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format, *args):  # noqa: A002
            pass

        def answer(self, status, body):
            data = json.dumps(body, ensure_ascii=False).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json;charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            path, _, query = self.path.partition("?")
            if path == "/stats":
                with state.lock:
                    return self.answer(200, {"requests": state.requests, "messages": state.messages,
                                             "byMobile": state.by_mobile, "queries": state.queries, "log": state.log})
            self.send_sms("GET", dict(urllib.parse.parse_qsl(query, keep_blank_values=True)))

        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode()
            path = self.path.partition("?")[0]
            if path == "/control":
                control = json.loads(body or "{}")
                with state.lock:
                    state.fail_once |= set(control.get("failOnce", []))
                    state.timeout_once |= set(control.get("timeoutOnce", []))
                    state.reject |= set(control.get("rejectMobiles", []))
                    state.receipts_fail |= set(control.get("receiptsFail", []))
                    if "receipts" in control:
                        state.receipts = bool(control["receipts"])
                    if "dedup" in control:
                        state.dedup = bool(control["dedup"])
                    if "receiptsUrl" in control:
                        state.args.receipts_url = control["receiptsUrl"]
                    if "repliesUrl" in control:
                        state.args.replies_url = control["repliesUrl"]
                    if "timeoutSeconds" in control:
                        state.timeout_seconds = float(control["timeoutSeconds"])
                return self.answer(200, {"ok": True})
            if path == "/control/reply":
                reply = json.loads(body or "{}")
                item = {"phone_number": reply["mobile"], "send_time": time.strftime("%Y-%m-%d %H:%M:%S"),
                        "content": reply["content"], "sign_name": "经销商CRM", "dest_code": "1",
                        "sequence_id": int(time.time() * 1000)}
                push(state.args.replies_url, [item])
                return self.answer(200, {"ok": True})
            self.send_sms("POST", dict(urllib.parse.parse_qsl(body, keep_blank_values=True)))

        def send_sms(self, method, params):
            request_id = str(uuid.uuid4()).upper()
            for name in ("AccessKeyId", "Action", "Format", "SignatureMethod", "SignatureNonce", "SignatureVersion",
                         "Timestamp", "Version", "Signature"):
                if not params.get(name):
                    return self.answer(400, {"Code": "MissingParameter", "Message": f"{name} is mandatory", "RequestId": request_id})
            if params["AccessKeyId"] != state.args.access_key_id:
                return self.answer(404, {"Code": "InvalidAccessKeyId.NotFound", "Message": "Specified access key is not found.",
                                         "RequestId": request_id})
            if params["SignatureMethod"] != "HMAC-SHA1" or params["SignatureVersion"] != "1.0":
                return self.answer(400, {"Code": "InvalidParameter", "Message": "unsupported signature", "RequestId": request_id})
            try:
                datetime.datetime.strptime(params["Timestamp"], "%Y-%m-%dT%H:%M:%SZ")
            except ValueError:
                return self.answer(400, {"Code": "InvalidTimeStamp.Format", "Message": "Specified time stamp is not valid.",
                                         "RequestId": request_id})
            expected = signature(method, params, state.args.access_key_secret)
            if not hmac.compare_digest(expected, params["Signature"]):
                return self.answer(400, {"Code": "SignatureDoesNotMatch",
                                         "Message": "Specified signature is not matched with our calculation.",
                                         "RequestId": request_id})
            with state.lock:
                if params["SignatureNonce"] in state.nonces:
                    return self.answer(400, {"Code": "SignatureNonceUsed", "Message": "Specified signature nonce was used already.",
                                             "RequestId": request_id})
                state.nonces.add(params["SignatureNonce"])
            if params["Action"] not in ("SendSms", "QuerySendDetails") or params["Version"] != "2017-05-25":
                return self.answer(400, {"Code": "InvalidAction.NotFound", "Message": "Specified api is not found",
                                         "RequestId": request_id})
            if params["Action"] == "QuerySendDetails":
                return self.query_send_details(params, request_id)
            for name in ("PhoneNumbers", "SignName", "TemplateCode"):
                if not params.get(name):
                    return self.answer(200, {"Code": "isv.MISSING_PARAMETER" if name != "TemplateCode" else "isv.SMS_TEMPLATE_ILLEGAL",
                                             "Message": f"{name} is mandatory", "RequestId": request_id})
            try:
                template_param = json.loads(params.get("TemplateParam") or "{}")
                assert isinstance(template_param, dict)
            except (ValueError, AssertionError):
                return self.answer(200, {"Code": "isv.INVALID_JSON_PARAM", "Message": "JSON参数不合法", "RequestId": request_id})
            mobile = params["PhoneNumbers"]
            out_id = params.get("OutId") or request_id
            delay = 0.0
            with state.lock:
                state.requests[out_id] = state.requests.get(out_id, 0) + 1
                state.log.append({"outId": out_id, "mobile": mobile, "templateCode": params["TemplateCode"],
                                  "templateParam": template_param, "signName": params["SignName"]})
                if mobile in state.fail_once:
                    state.fail_once.discard(mobile)
                    return self.answer(500, {"Code": "isp.SYSTEM_ERROR", "Message": "系统错误", "RequestId": request_id})
                if mobile in state.reject:
                    return self.answer(200, {"Code": "isv.MOBILE_NUMBER_ILLEGAL", "Message": "非法手机号", "RequestId": request_id})
                # Real Aliyun sends again for a repeated OutId; with --dedup (the default) this emulator
                # answers a repeated OutId with its first acceptance instead.
                first = out_id not in state.accepted or not state.dedup
                if first:
                    state.accepted[out_id] = {"Code": "OK", "Message": "OK", "BizId": f"{int(time.time())}{len(state.sent):06d}^0"}
                    state.messages[out_id] = state.messages.get(out_id, 0) + 1
                    state.by_mobile[mobile] = state.by_mobile.get(mobile, 0) + 1
                    state.sent.append({"OutId": out_id, "PhoneNum": mobile, "TemplateCode": params["TemplateCode"],
                                       "Content": json.dumps(template_param, ensure_ascii=False),
                                       "SendDate": time.strftime("%Y-%m-%d %H:%M:%S"), "ReceiveDate": "", "SendStatus": 1,
                                       "ErrCode": "", "day": beijing_day()})
                answer = dict(state.accepted[out_id], RequestId=request_id)
                if mobile in state.timeout_once:
                    state.timeout_once.discard(mobile)
                    delay = state.timeout_seconds
                send_receipt = first and state.receipts
                success = mobile not in state.receipts_fail
            if send_receipt:
                item = {"phone_number": mobile, "send_time": time.strftime("%Y-%m-%d %H:%M:%S"),
                        "report_time": time.strftime("%Y-%m-%d %H:%M:%S"), "success": success,
                        "err_code": "DELIVERED" if success else "MK:0001", "err_msg": "用户接收成功" if success else "用户关机",
                        "sms_size": "1", "biz_id": answer["BizId"], "out_id": out_id}
                # Pushed in batches, as Aliyun does; a message whose answer is held back is reported after it.
                with state.lock:
                    state.pending.append((time.time() + 0.3 + delay, item))
            if delay:
                time.sleep(delay)
            try:
                self.answer(200, answer)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def query_send_details(self, params, request_id):
            for name in ("PhoneNumber", "SendDate", "PageSize", "CurrentPage"):
                if not params.get(name):
                    return self.answer(200, {"Code": "isv.MISSING_PARAMETER", "Message": f"{name} is mandatory", "RequestId": request_id})
            with state.lock:
                state.queries[params["PhoneNumber"]] = state.queries.get(params["PhoneNumber"], 0) + 1
                found = [{k: v for k, v in item.items() if k != "day"} for item in state.sent
                         if item["PhoneNum"] == params["PhoneNumber"] and item["day"] == params["SendDate"]]
            size, page = int(params["PageSize"]), int(params["CurrentPage"])
            page_items = found[(page - 1) * size:page * size]
            return self.answer(200, {"Code": "OK", "Message": "OK", "RequestId": request_id, "TotalCount": str(len(found)),
                                     "SmsSendDetailDTOs": {"SmsSendDetailDTO": page_items}})

    return Handler


def push_receipts(state):
    """Every 0.2 s, pushes the receipts that are due as one batch (at most 100 items), as SmsReport does."""
    while True:
        time.sleep(0.2)
        now = time.time()
        with state.lock:
            due = [item for at, item in state.pending if at <= now][:100]
            state.pending = [(at, item) for at, item in state.pending if item not in due]
        if due:
            push(state.args.receipts_url, due)


def beijing_day():
    return (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=8)).strftime("%Y%m%d")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--access-key-id", required=True)
    parser.add_argument("--access-key-secret", required=True)
    parser.add_argument("--receipts-url", default="")
    parser.add_argument("--replies-url", default="")
    args = parser.parse_args()
    state = State(args)
    threading.Thread(target=push_receipts, args=(state,), daemon=True).start()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), make_handler(state))
    server.daemon_threads = True
    print(f"listening {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
