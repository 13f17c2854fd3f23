// A minimal bridge from Go to zxing-cpp's PDF417 reader (Debian's
// libzxing-dev, zxing-cpp 1.4).
#include <ZXing/ReadBarcode.h>
#include <cstdlib>
#include <cstring>

extern "C" int kycd_read_pdf417(const unsigned char* rgb, int width, int height, int try_harder,
                                unsigned char** out, int* out_len) {
	try {
		ZXing::ImageView view(rgb, width, height, ZXing::ImageFormat::RGB);
		ZXing::DecodeHints hints;
		hints.setFormats(ZXing::BarcodeFormat::PDF417);
		hints.setTryHarder(try_harder != 0);
		hints.setTryRotate(true);
		auto result = ZXing::ReadBarcode(view, hints);
		if (!result.isValid()) {
			return 0;
		}
		const auto& bytes = result.bytes();
		*out = static_cast<unsigned char*>(std::malloc(bytes.size() ? bytes.size() : 1));
		if (*out == nullptr) {
			return -1;
		}
		std::memcpy(*out, bytes.data(), bytes.size());
		*out_len = static_cast<int>(bytes.size());
		return 1;
	} catch (...) {
		return -1;
	}
}
