import Foundation
@testable import ServiceKit
import XCTest

/// Alibaba Cloud's RPC signature (SMS `SendSms`, M5) against the example its documentation
/// works through: AccessKey `testId` / `testSecret`, the parameters below, GET.
final class AliyunRPCSignatureTests: XCTestCase {
    private let documented: [String: String] = [
        "SignatureMethod": "HMAC-SHA1", "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466", "AccessKeyId": "testId",
        "SignatureVersion": "1.0", "Timestamp": "2017-07-12T02:42:19Z", "Format": "XML", "Action": "SendSms", "Version": "2017-05-25",
        "RegionId": "cn-hangzhou", "PhoneNumbers": "15300000001", "SignName": "阿里云短信测试专用",
        "TemplateParam": "{\"customer\":\"test\"}", "TemplateCode": "SMS_71390007", "OutId": "123",
    ]

    func testTheDocumentedExampleSignsAsDocumented() {
        XCTAssertEqual(
            AliyunRPCSignature.stringToSign(method: "GET", parameters: documented),
            "GET&%2F&AccessKeyId%3DtestId%26Action%3DSendSms%26Format%3DXML%26OutId%3D123%26PhoneNumbers%3D15300000001"
                + "%26RegionId%3Dcn-hangzhou%26SignName%3D%25E9%2598%25BF%25E9%2587%258C%25E4%25BA%2591%25E7%259F%25AD%25E4%25BF%25A1"
                + "%25E6%25B5%258B%25E8%25AF%2595%25E4%25B8%2593%25E7%2594%25A8%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D"
                + "45e25e9b-0a6f-4070-8c85-2956eda1b466%26SignatureVersion%3D1.0%26TemplateCode%3DSMS_71390007%26TemplateParam%3D"
                + "%257B%2522customer%2522%253A%2522test%2522%257D%26Timestamp%3D2017-07-12T02%253A42%253A19Z%26Version%3D2017-05-25")
        XCTAssertEqual(AliyunRPCSignature.signature(method: "GET", parameters: documented, accessKeySecret: "testSecret"), "zJDF+Lrzhj/ThnlvIToysFRq6t4=")
    }

    func testPercentEncodingIsRFC3986() {
        XCTAssertEqual(AliyunRPCSignature.percentEncode("a b*c~d+e/é"), "a%20b%2Ac~d%2Be%2F%C3%A9")
        XCTAssertEqual(AliyunRPCSignature.timestamp(Date(timeIntervalSince1970: 1_499_827_339)), "2017-07-12T02:42:19Z")
    }
}
