package mrz

import "strings"

// The codes an MRZ writes for a state or an organisation (ICAO 9303 part
// 3): ISO 3166-1 alpha-3, from Debian's iso-codes 4.15 (iso_3166-1.json);
// the withdrawn ones older documents may still carry (iso_3166-3.json); and
// the codes ICAO adds: D for Germany, the British nationality classes, the
// United Nations and other organisations, stateless persons and refugees,
// the European Union, Kosovo as its documents print it, and Utopia, the
// state of ICAO's specimens.
var countryCodes = strings.Fields(
	"ABW AFG AGO AIA ALA ALB AND ARE ARG ARM ASM ATA ATF ATG AUS AUT AZE BDI BEL BEN " +
		"BES BFA BGD BGR BHR BHS BIH BLM BLR BLZ BMU BOL BRA BRB BRN BTN BVT BWA CAF CAN " +
		"CCK CHE CHL CHN CIV CMR COD COG COK COL COM CPV CRI CUB CUW CXR CYM CYP CZE DEU " +
		"DJI DMA DNK DOM DZA ECU EGY ERI ESH ESP EST ETH FIN FJI FLK FRA FRO FSM GAB GBR " +
		"GEO GGY GHA GIB GIN GLP GMB GNB GNQ GRC GRD GRL GTM GUF GUM GUY HKG HMD HND HRV " +
		"HTI HUN IDN IMN IND IOT IRL IRN IRQ ISL ISR ITA JAM JEY JOR JPN KAZ KEN KGZ KHM " +
		"KIR KNA KOR KWT LAO LBN LBR LBY LCA LIE LKA LSO LTU LUX LVA MAC MAF MAR MCO MDA " +
		"MDG MDV MEX MHL MKD MLI MLT MMR MNE MNG MNP MOZ MRT MSR MTQ MUS MWI MYS MYT NAM " +
		"NCL NER NFK NGA NIC NIU NLD NOR NPL NRU NZL OMN PAK PAN PCN PER PHL PLW PNG POL " +
		"PRI PRK PRT PRY PSE PYF QAT REU ROU RUS RWA SAU SDN SEN SGP SGS SHN SJM SLB SLE " +
		"SLV SMR SOM SPM SRB SSD STP SUR SVK SVN SWE SWZ SXM SYC SYR TCA TCD TGO THA TJK " +
		"TKL TKM TLS TON TTO TUN TUR TUV TWN TZA UGA UKR UMI URY USA UZB VAT VCT VEN VGB " +
		"VIR VNM VUT WLF WSM YEM ZAF ZMB ZWE " +
		// withdrawn
		"AFI ANT ATB ATF ATN BUR BYS CSK CTE DDR DHY FXX GEL HVO JTN MID NHB NTZ PCI PCZ " +
		"PUS RHO SCG SKM SUN TMP VDR WAK YMD YUG ZAR " +
		// ICAO 9303 part 3
		"D GBD GBN GBO GBP GBS UNO UNA UNK XBA XIM XCC XCE XCO XEC XPO XES XMP XOM XDC " +
		"XXA XXB XXC XXX EUE RKS XKX UTO")

var countrySet = func() map[string]bool {
	m := make(map[string]bool, len(countryCodes))
	for _, c := range countryCodes {
		m[c] = true
	}
	return m
}()

// KnownCountry reports whether code (fillers trimmed) is a code an MRZ
// may hold for a state or an organisation.
func KnownCountry(code string) bool { return countrySet[strings.TrimRight(code, "<")] }

// CountryCodes returns every code KnownCountry knows, padded with fillers
// to the field's three cells (D<< for Germany).
func CountryCodes() []string {
	out := make([]string, len(countryCodes))
	for i, c := range countryCodes {
		out[i] = (c + "<<")[:3]
	}
	return out
}
