//! How rare a short string is in web-server log text, for choosing which window of a literal
//! to search for.
//!
//! Measured on lowercased text: 16 slices of 1 MB spread over a 200 MB IIS W3C log of
//! ordinary traffic (the `W3SVC1` log of BENCHMARKS.md), counting each byte and each pair of
//! adjacent bytes. Only the ranking matters: a window costs one verification per place it
//! occurs, and these estimate how often that is.

/// -log2 of each byte's share (0x00..0x7f); bytes not seen count 16, as do bytes >= 0x80.
#[rustfmt::skip]
const BYTE_BITS: [u8; 128] = [
    16, 16, 16, 16, 16, 16, 16, 16, 16, 16,  8, 16, 16,  8, 16, 16,
    16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16,
     4, 16, 16, 10, 11,  8,  9, 16,  8,  8, 16,  5,  9,  6,  4,  5,
     4,  4,  5,  6,  6,  5,  6,  6,  7,  7,  6,  7, 16,  8, 16, 16,
    16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16,
    16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16,  9, 16, 16,  8,
    16,  5,  8,  6,  7,  5,  7,  7,  7,  5,  9,  7,  5,  6,  6,  4,
     5, 10,  6,  4,  4,  7,  8,  6,  7,  9,  9, 16, 10, 16, 16, 16,
];

/// Row `a`, column `b` (both 0x20..0x7f, less 0x20): -log2 of the share of bytes after `a`
/// that are `b`, as `b'a' + bits`, capped at 20 (`u`, also for pairs not seen).
const PAIR_BITS: &[u8; 96 * 96] = b"\
    uuuuiuuuuuuuuduecdegeijjhhuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuftuuefiuuieuueihisuiutuuuuuuu\
    euuklijuiiufjgefeefggfgghhghuiuuuuuuuuuuuuuuuuuuuuuuuuuuuuuujuuiufighfhhhfjhfggefkgeehighjjukuuu\
    euuklijuiiufjgefeefggfgghhghuiuuuuuuuuuuuuuuuuuuuuuuuuuuuuuujuuiufighfhhhfjhfggefkgeehighjjukuuu\
    uuuuuuuuuuuuuuauuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuununuuuuuuuuuuuuouunuuuuuuuuu\
    uuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuubbuuuuuuuuuuu\
    uuuuuuuuuuuuuuuuuuauuducuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuu\
    uuuucuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuucuuuuuuucuuucuucuuuuuuuuuuuuuuu\
    euuklijuiiufjgefeefggfgghhghuiuuuuuuuuuuuuuuuuuuuuuuuuuuuuuujuuiufighfhhhfjhfggefkgeehighjjukuuu\
    uuuuuuuuuuuduuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuduuuuuducuuuuuupuupubuuuuuuuu\
    buuuuuuuuuubuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuu\
    euuklijuiiufjgefeefggfgghhghuiuuuuuuuuuuuuuuuuuuuuuuuuuuuuuujuuiufighfhhhfjhfggefkgeehighjjukuuu\
    uuuuuuuuduuuuuuuuduuuuguuguuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuufufuugegguueeeeguffgugeeuuuuuuu\
    uuuuuuuuuuuauuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuucuuuuuuuuuuuuuuuuuuuuuu\
    cuuuuuuuuuuuuuuuccuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuruuuuqurquuuruurruprpuruuuuuuuu\
    uuuuuuuuuuuuuuuuccdfhfhhhhuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuueuduuuhhihuuuuuiuuiduuguuuuuuuu\
    fuuuuuuuuuuuuuudtdfuudfutuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuueuefgghgueguufuugeuhefhgfuuuuuuuu\
    cuuguuuuugueuucueeefffieiigfuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuhuuuuuuuuuuuuuuuuuuuuuuuuuuu\
    euuuuuuuuuufuuficfeffceefdfguuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuhuuuuuuuuuuuuuuuuuuuuuuuuuuuuu\
    euuuuuuuuuuuuseubffffdfgegfuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuhuueuuuuuuuuuuuuuuuuuuuuuuuuu\
    cuuuuuuuuuuuuuegegeeffddggeuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuusuuuuuuuuuuu\
    duuuuuguufuuuudufggccgggegeeuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuu\
    cuuuuguuuuueudcefggeghhgggfuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuugufuuuuuuuuuuuuuuuuuuuuuuuuuu\
    duuuuuuuuuueuucudgggcgggggfuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuu\
    duuuuuuuuuuuuccuggeeggggggfuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuueuufufuuuuuuuuuuuuuuuuuuuuuuuuuuu\
    duuuuuuuuuueuucufegggefgfffeuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuu\
    buuuuuuuuuuuuuduggegegggegfuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuu\
    puuuuuuuuuuuuuucdddddduuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuu\
    uuuuuuuuuuuauuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuu\
    euuklijuiiufjgefeefggfgghhghuiuuuuuuuuuuuuuuuuuuuuuuuuuuuuuujuuiufighfhhhfjhfggefkgeehighjjukuuu\
    uuuuucuuuuuuuuuuuceueuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuueuuuuuuuuuuuuueueeueuuuuuuuuu\
    euuklijuiiufjgefeefggfgghhghuiuuuuuuuuuuuuuuuuuuuuuuuuuuuuuujuuiufighfhhhfjhfggefkgeehighjjukuuu\
    euuklijuiiufjgefeefggfgghhghuiuuuuuuuuuuuuuuuuuuuuuuuuuuuuuujuuiufighfhhhfjhfggefkgeehighjjukuuu\
    euuklijuiiufjgefeefggfgghhghuiuuuuuuuuuuuuuuuuuuuuuuuuuuuuuujuuiufighfhhhfjhfggefkgeehighjjukuuu\
    euuklijuiiufjgefeefggfgghhghuiuuuuuuuuuuuuuuuuuuuuuuuuuuuuuujuuiufighfhhhfjhfggefkgeehighjjukuuu\
    euuklijuiiufjgefeefggfgghhghuiuuuuuuuuuuuuuuuuuuuuuuuuuuuuuujuuiufighfhhhfjhfggefkgeehighjjukuuu\
    euuklijuiiufjgefeefggfgghhghuiuuuuuuuuuuuuuuuuuuuuuuuuuuuuuujuuiufighfhhhfjhfggefkgeehighjjukuuu\
    euuklijuiiufjgefeefggfgghhghuiuuuuuuuuuuuuuuuuuuuuuuuuuuuuuujuuiufighfhhhfjhfggefkgeehighjjukuuu\
    euuklijuiiufjgefeefggfgghhghuiuuuuuuuuuuuuuuuuuuuuuuuuuuuuuujuuiufighfhhhfjhfggefkgeehighjjukuuu\
    euuklijuiiufjgefeefggfgghhghuiuuuuuuuuuuuuuuuuuuuuuuuuuuuuuujuuiufighfhhhfjhfggefkgeehighjjukuuu\
    euuklijuiiufjgefeefggfgghhghuiuuuuuuuuuuuuuuuuuuuuuuuuuuuuuujuuiufighfhhhfjhfggefkgeehighjjukuuu\
    euuklijuiiufjgefeefggfgghhghuiuuuuuuuuuuuuuuuuuuuuuuuuuuuuuujuuiufighfhhhfjhfggefkgeehighjjukuuu\
    euuklijuiiufjgefeefggfgghhghuiuuuuuuuuuuuuuuuuuuuuuuuuuuuuuujuuiufighfhhhfjhfggefkgeehighjjukuuu\
    euuklijuiiufjgefeefggfgghhghuiuuuuuuuuuuuuuuuuuuuuuuuuuuuuuujuuiufighfhhhfjhfggefkgeehighjjukuuu\
    euuklijuiiufjgefeefggfgghhghuiuuuuuuuuuuuuuuuuuuuuuuuuuuuuuujuuiufighfhhhfjhfggefkgeehighjjukuuu\
    euuklijuiiufjgefeefggfgghhghuiuuuuuuuuuuuuuuuuuuuuuuuuuuuuuujuuiufighfhhhfjhfggefkgeehighjjukuuu\
    euuklijuiiufjgefeefggfgghhghuiuuuuuuuuuuuuuuuuuuuuuuuuuuuuuujuuiufighfhhhfjhfggefkgeehighjjukuuu\
    euuklijuiiufjgefeefggfgghhghuiuuuuuuuuuuuuuuuuuuuuuuuuuuuuuujuuiufighfhhhfjhfggefkgeehighjjukuuu\
    euuklijuiiufjgefeefggfgghhghuiuuuuuuuuuuuuuuuuuuuuuuuuuuuuuujuuiufighfhhhfjhfggefkgeehighjjukuuu\
    euuklijuiiufjgefeefggfgghhghuiuuuuuuuuuuuuuuuuuuuuuuuuuuuuuujuuiufighfhhhfjhfggefkgeehighjjukuuu\
    euuklijuiiufjgefeefggfgghhghuiuuuuuuuuuuuuuuuuuuuuuuuuuuuuuujuuiufighfhhhfjhfggefkgeehighjjukuuu\
    euuklijuiiufjgefeefggfgghhghuiuuuuuuuuuuuuuuuuuuuuuuuuuuuuuujuuiufighfhhhfjhfggefkgeehighjjukuuu\
    euuklijuiiufjgefeefggfgghhghuiuuuuuuuuuuuuuuuuuuuuuuuuuuuuuujuuiufighfhhhfjhfggefkgeehighjjukuuu\
    euuklijuiiufjgefeefggfgghhghuiuuuuuuuuuuuuuuuuuuuuuuuuuuuuuujuuiufighfhhhfjhfggefkgeehighjjukuuu\
    euuklijuiiufjgefeefggfgghhghuiuuuuuuuuuuuuuuuuuuuuuuuuuuuuuujuuiufighfhhhfjhfggefkgeehighjjukuuu\
    euuklijuiiufjgefeefggfgghhghuiuuuuuuuuuuuuuuuuuuuuuuuuuuuuuujuuiufighfhhhfjhfggefkgeehighjjukuuu\
    euuklijuiiufjgefeefggfgghhghuiuuuuuuuuuuuuuuuuuuuuuuuuuuuuuujuuiufighfhhhfjhfggefkgeehighjjukuuu\
    euuklijuiiufjgefeefggfgghhghuiuuuuuuuuuuuuuuuuuuuuuuuuuuuuuujuuiufighfhhhfjhfggefkgeehighjjukuuu\
    euuklijuiiufjgefeefggfgghhghuiuuuuuuuuuuuuuuuuuuuuuuuuuuuuuujuuiufighfhhhfjhfggefkgeehighjjukuuu\
    euuklijuiiufjgefeefggfgghhghuiuuuuuuuuuuuuuuuuuuuuuuuuuuuuuujuuiufighfhhhfjhfggefkgeehighjjukuuu\
    euuklijuiiufjgefeefggfgghhghuiuuuuuuuuuuuuuuuuuuuuuuuuuuuuuujuuiufighfhhhfjhfggefkgeehighjjukuuu\
    uuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuucuuuuuuuucuuuuuuuucuuuuuuuuuuuu\
    euuklijuiiufjgefeefggfgghhghuiuuuuuuuuuuuuuuuuuuuuuuuuuuuuuujuuiufighfhhhfjhfggefkgeehighjjukuuu\
    euuklijuiiufjgefeefggfgghhghuiuuuuuuuuuuuuuuuuuuuuuuuuuuuuuujuuiufighfhhhfjhfggefkgeehighjjukuuu\
    uuuuuuuuuuuuuuuuuuuuuduuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuueecuuuuuuuubuuuuuuuuueuuuuuuuuu\
    euuklijuiiufjgefeefggfgghhghuiuuuuuuuuuuuuuuuuuuuuuuuuuuuuuujuuiufighfhhhfjhfggefkgeehighjjukuuu\
    uuuuuuuuuuuuuuueutuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuufuufeuuuscghueudcgfhfueuuuuuu\
    uuuuuuuuuuuuuuueueeuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuducduucuuupuuuuuuuuuuuu\
    uuuuuguuuuufupuhuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuufuuugufuufugehuubfudhgfuuuuuuuuuu\
    quuuueeuuuuuuquuuuuuuuuuuuuuueuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuupuuucuuuuuuuuubuuuquuuuuuuuuuuu\
    fuuuuuuuuuuehsfeuguuuuuuuusfufuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuueegufuuuuuhffufuecduheuuuuuuuu\
    uuuuuuuuuuuuuuuuufuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuufucuuuqeufduuuuuduuudduuuuuuuuuuu\
    fuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuauuuuuuduuduuuuuuuuuuuuuuuu\
    euuuuuuuuuuuuuuguuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuueuuuuuuuuuuuuucuucubuuuuuuuuuuu\
    uuuuuuuuuuuuurueuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuhuugeeeuuuuuedhdgfugecuuuuuguuuuu\
    uuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuauuuuuuuuuuuuuucuuuuuuuuuuuu\
    uuuuuuuuuuueuufuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuucuudduuuuucuuuduuuuuuuuuuuu\
    fuuuuuuuuguufucttuuuuuuuuuuuuguuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuduugduuuduuduufuuuhguuuuguuuuuu\
    ruuuuuuuuuuuuuufuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuueuuucuuuduudgucfuuduuuuuuuuuuuu\
    quuuuuuuuuuuuuffuuuruueuuuruuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuguudeshuguguuuuuuusbguuuuuuuuuu\
    iuuuuiuuufuuuudhuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuufuuuuuggigfguuuhiedfiudcffufhufuuuuu\
    quuuuuuuuuuuuuuhuuuuuuuuuufuuguuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuueuhuuuueguueuhceufdufuuduuuuuuu\
    uuuuuuuuuuuuuuuuuuuuuuuuuuuuubuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuubuuuuuuuuuu\
    uuuuuguuuruuurueuuuuuuuuuuuuufuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuufuugduuueuufhgdhuufbufruhuuuuuu\
    fuuuughusuueuqfduuuuuuuuuueuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuufuruguugeuguguceiuhctguuuuuuuuu\
    duuuuuiuutueuufeuuuuuuuuuuuuuhuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuduuudiugguugfideuheeiuuiiuuuuuu\
    uuuuuuuuuuuduuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuequufuuuuuuedeuuudfbuuuuuuuuuuu\
    uuuuuuuuuuuuuuuuuduuuuuuuuduuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuucucuuucuuuuuuuuuueuuuuuuuuuuu\
    fuuuuuuuuuuuuueuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuguuuduuucuuduuuuuucuuuduuuueuuu\
    buuuuuuuuduuuquduuuuuucuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuufuuuuuuuuuuu\
    euuuuuuuuuuduuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuueuubuuuuuuuuuuuuuuuu\
    uuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuduuuauuuuuuuuuuuuuuuuuuuuuu\
    euuklijuiiufjgefeefggfgghhghuiuuuuuuuuuuuuuuuuuuuuuuuuuuuuuujuuiufighfhhhfjhfggefkgeehighjjukuuu\
    uuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuauuuuuuuuuuuuuuuuuuuuuuuuuuuu\
    euuklijuiiufjgefeefggfgghhghuiuuuuuuuuuuuuuuuuuuuuuuuuuuuuuujuuiufighfhhhfjhfggefkgeehighjjukuuu\
    euuklijuiiufjgefeefggfgghhghuiuuuuuuuuuuuuuuuuuuuuuuuuuuuuuujuuiufighfhhhfjhfggefkgeehighjjukuuu\
    euuklijuiiufjgefeefggfgghhghuiuuuuuuuuuuuuuuuuuuuuuuuuuuuuuujuuiufighfhhhfjhfggefkgeehighjjukuuu";

/// Bits (-log2 of the expected share of positions) for `text` starting at a position of
/// web-log text, a first-order estimate from the tables above.
pub(super) fn bits(text: &[u8]) -> u32 {
    let Some(&first) = text.first() else {
        return 0;
    };
    let mut bits = u32::from(*BYTE_BITS.get(usize::from(first)).unwrap_or(&16));
    for pair in text.windows(2) {
        let (a, b) = (usize::from(pair[0]), usize::from(pair[1]));
        bits += if (0x20..0x80).contains(&a) && (0x20..0x80).contains(&b) {
            u32::from(PAIR_BITS[(a - 0x20) * 96 + (b - 0x20)] - b'a')
        } else {
            20
        };
    }
    bits
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_log_text_ranks_below_attack_text() {
        // `http` and `.aspx` fill ordinary IIS logs; `${jndi` and `whoami` do not.
        assert!(bits(b"http") < bits(b"{jnd"));
        assert!(bits(b"aspx") < bits(b"oami"));
        assert!(bits(b"test") < bits(b"`ipc"));
    }
}
