// A minimal bridge from Go to zxing-cpp's PDF417 and QR readers (Debian's
// libzxing-dev, zxing-cpp 1.4).
#include <ZXing/ReadBarcode.h>
#include <cstdlib>
#include <cstring>

extern "C" int kycd_read_barcode(const unsigned char* lum, int width, int height, int try_harder, int qr,
                                 unsigned char** out, int* out_len) {
	try {
		ZXing::ImageView view(lum, width, height, ZXing::ImageFormat::Lum);
		ZXing::DecodeHints hints;
		hints.setFormats(qr ? ZXing::BarcodeFormat::QRCode : ZXing::BarcodeFormat::PDF417);
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

// kycd_write_pdf417 encodes data (bytes, ISO-8859-1) as a PDF417 symbol of
// one pixel per module; the caller scales it. out holds width×height bytes,
// 1 for a dark module.
#include <ZXing/MultiFormatWriter.h>
#include <ZXing/BitMatrix.h>
#include <ZXing/CharacterSet.h>

extern "C" int kycd_write_pdf417(const char* data, int len, unsigned char** out, int* width, int* height) {
	try {
		ZXing::MultiFormatWriter writer(ZXing::BarcodeFormat::PDF417);
		writer.setEncoding(ZXing::CharacterSet::ISO8859_1);
		writer.setMargin(0);
		writer.setEccLevel(4);
		std::wstring text;
		for (int i = 0; i < len; i++) {
			text.push_back(static_cast<wchar_t>(static_cast<unsigned char>(data[i])));
		}
		auto m = writer.encode(text, 0, 0);
		*width = m.width();
		*height = m.height();
		*out = static_cast<unsigned char*>(std::malloc(m.width() * m.height() + 1));
		if (*out == nullptr) {
			return -1;
		}
		for (int y = 0; y < m.height(); y++) {
			for (int x = 0; x < m.width(); x++) {
				(*out)[y * m.width() + x] = m.get(x, y) ? 1 : 0;
			}
		}
		return 1;
	} catch (...) {
		return -1;
	}
}
