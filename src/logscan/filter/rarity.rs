//! How rare a short string is in web-server log text, for choosing which window of a literal
//! to search for.
//!
//! Measured by `scripts/rarity-table.py` on lowercased text, each source weighing the same:
//! real traffic (the Apache access log of elastic/examples, `Common Data Formats/apache_logs`,
//! 10,000 requests to a public site in 2015) and one day each of the realistic request mixes
//! of `benches/gen_traffic.py` (SharePoint in IIS W3C, WordPress and a shop in the combined
//! format), counting each byte and each pair of adjacent bytes. Only the ranking matters: a
//! window costs one verification per place it occurs, and these estimate how often that is.

/// -log2 of each byte's share (0x00..0x7f); bytes not seen count 16, as do bytes >= 0x80.
#[rustfmt::skip]
const BYTE_BITS: [u8; 128] = [
    16, 16, 16, 16, 16, 16, 16, 16, 16, 16,  8, 16, 16, 10, 16, 16,
    16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16,
     4, 16,  6, 11, 13, 11, 10, 13,  7,  7, 16,  6,  9,  6,  4,  4,
     4,  4,  5,  6,  6,  5,  6,  6,  7,  7,  6,  7, 16,  8, 16, 10,
    16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16,
    16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16,  8, 10,  8, 16,  8,
    16,  5,  7,  6,  7,  5,  7,  6,  6,  5,  8,  7,  5,  6,  6,  5,
     5, 11,  6,  5,  4,  7,  8,  6,  7,  8,  8, 16, 11, 16, 14, 16,
];

/// Row `a`, column `b` (both 0x20..0x7f, less 0x20): -log2 of the share of bytes after `a`
/// that are `b`, as `b'a' + bits`, capped at 20 (`u`, also for pairs not seen); a row of a
/// byte seen too seldom to measure holds the byte shares.
const PAIR_BITS: &[u8; 96 * 96] = b"\
    oudukuuuequeudkefeegfhhjijusuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuufuuuuufkfkihfehtnffgggmgfkkhgfmluuuuu\
    auuuuuuuuuuuuuuuuuuuuuuuuuuuuuuhuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuu\
    buuuuuruuuuuueuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuupkmoiddpmumcplfqoljjuiqrruuuuu\
    uuuuuuuuuuuuuuauiuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuupupuuluuuuuuuuuluupuuuuuuuuu\
    uuuuuhuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuudduuuuuuuuduuucduuuuuuuuuuu\
    nuuuuunuuuuuuuuumubcldheknuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuljujfguuuuuuuuuuuuuuuuuuuuuuuuu\
    uuuufuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuouegfkfjkiduonolkcgfddefkuuluuuuu\
    uuuuuuduucuuduuduuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuugghhuhhguuifhieiffdiuuuuuuuuuu\
    quuuuquiuuuguuoupuquuuuuquuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuulleuumlheobeeuuuukjpjocfuuuuuuu\
    bueuuquuulucuuuiuuuuuuuuuuuluuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuu\
    eqglnlknhhqgjgeeeefggfgghhghqiqkqqqqqqqqqqqqqqqqqqqqqqqqqqqikiqiqfhghfhggfihfggfflgfehighiiqlqoq\
    mumuukrudmukuknqceiujpjuuuuuuuuruuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuelfihgefgkuefffjlgellgfeppuuuuu\
    auuuuuuuuuucuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuhuhmuhuunuuiuuuuuuuuuuuuuuuu\
    buduupuuuuukuouqeeghmmkhimuquuuruuuuuuuuuuuuuuuuuuuuuuuuuuuuquuuufifhjhjjhilhhjifphfjikfknouuuuu\
    uuuuuuquuuuruunrccdegfgggguuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuruuuugjelgkhhjhpnijjfrlhelnhimmuuuuu\
    gufsrpquujuquukehddhidfjkksouuujuuuuuuuuuuuuuuuuuuuuuuuuuuuuruugugfghigigfekgfjkflieghjfhlmuuupu\
    dughunlupgtgmmdiceegffgfhhgfuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuureuhulmllnporqqoqnqpqomprqtqjpsuuuuu\
    eueuuokuujuiukdkdfdffdfefdggututuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuujuolokopqrqqtpuuqrqsqoqqrjssuuuuu\
    esluqnkuukuiujehbfeffdegfgfjumusuuuuuuuuuuuuuuuuuuuuuuuuuuuuruuouommoohrrnqmpqqkrrqsrnrqrpquuuuu\
    dujuunkuuluurkdheeefffccffejuruuuuuuuuuuuuuuuuuuuuuuuuuuuuuuquuouinminnprproprpprnmprpmoqpruuuuu\
    dujuumkupeunpidieffeeffeeffduruuuuuuuuuuuuuuuuuuuuuuuuuuuuuuquuoukmlmnmlnoqmpoppqnmmppqoipnuuuuu\
    duhuulkuslugufcfffgdgggggfcnuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuquugunklkgolronqqpoqqqquqpqosrluuuuu\
    dueuulkuukufqlcgdgggcgfgggejuuuquuuuuuuuuuuuuuuuuuuuuuuuuuuuuuugunnlmjlponmoompoppppprppopnuuuuu\
    duguumkuufuuuebgfgffgffgegeiuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuufumjnklnpponpnoomqopoorqpooquuuiu\
    cujuukjuumugqjcffefffeeeffeiuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuukumfkmnmokmnpnqooplokmjqqhonuuuuu\
    cumuumjuujupqkdcfeefeggggfeiuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuhummmmmmokoopqppoqorrupiopoquuuuu\
    ouquuqquruuluuucccddeeluquruuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuruuuuuuuuruqouuuuuuuuuuuu\
    aupuuuuuulucuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuqmlmouuquummuukuuummqumuuquuuuu\
    eqglnlknhhqgjgeeeefggfgghhghqiqkqqqqqqqqqqqqqqqqqqqqqqqqqqqikiqiqfhghfhggfihfggfflgfehighiiqlqoq\
    puuunfghuuupulnggedfffghhiuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuluehfiefigfhmfhihdjfgfighjkluuuuu\
    eqglnlknhhqgjgeeeefggfgghhghqiqkqqqqqqqqqqqqqqqqqqqqqqqqqqqikiqiqfhghfhggfihfggfflgfehighiiqlqoq\
    ouuuuuouuuuiuuuouuuuuuuuuuuuuuujuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuhuefueungukhhnfegbelgdouuuuuuuu\
    uuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuguuufuuuuuudaueuuuiuuuuuuuuuuuu\
    eqglnlknhhqgjgeeeefggfgghhghqiqkqqqqqqqqqqqqqqqqqqqqqqqqqqqikiqiqfhghfhggfihfggfflgfehighiiqlqoq\
    eqglnlknhhqgjgeeeefggfgghhghqiqkqqqqqqqqqqqqqqqqqqqqqqqqqqqikiqiqfhghfhggfihfggfflgfehighiiqlqoq\
    eqglnlknhhqgjgeeeefggfgghhghqiqkqqqqqqqqqqqqqqqqqqqqqqqqqqqikiqiqfhghfhggfihfggfflgfehighiiqlqoq\
    eqglnlknhhqgjgeeeefggfgghhghqiqkqqqqqqqqqqqqqqqqqqqqqqqqqqqikiqiqfhghfhggfihfggfflgfehighiiqlqoq\
    eqglnlknhhqgjgeeeefggfgghhghqiqkqqqqqqqqqqqqqqqqqqqqqqqqqqqikiqiqfhghfhggfihfggfflgfehighiiqlqoq\
    eqglnlknhhqgjgeeeefggfgghhghqiqkqqqqqqqqqqqqqqqqqqqqqqqqqqqikiqiqfhghfhggfihfggfflgfehighiiqlqoq\
    eqglnlknhhqgjgeeeefggfgghhghqiqkqqqqqqqqqqqqqqqqqqqqqqqqqqqikiqiqfhghfhggfihfggfflgfehighiiqlqoq\
    eqglnlknhhqgjgeeeefggfgghhghqiqkqqqqqqqqqqqqqqqqqqqqqqqqqqqikiqiqfhghfhggfihfggfflgfehighiiqlqoq\
    eqglnlknhhqgjgeeeefggfgghhghqiqkqqqqqqqqqqqqqqqqqqqqqqqqqqqikiqiqfhghfhggfihfggfflgfehighiiqlqoq\
    eqglnlknhhqgjgeeeefggfgghhghqiqkqqqqqqqqqqqqqqqqqqqqqqqqqqqikiqiqfhghfhggfihfggfflgfehighiiqlqoq\
    eqglnlknhhqgjgeeeefggfgghhghqiqkqqqqqqqqqqqqqqqqqqqqqqqqqqqikiqiqfhghfhggfihfggfflgfehighiiqlqoq\
    eqglnlknhhqgjgeeeefggfgghhghqiqkqqqqqqqqqqqqqqqqqqqqqqqqqqqikiqiqfhghfhggfihfggfflgfehighiiqlqoq\
    eqglnlknhhqgjgeeeefggfgghhghqiqkqqqqqqqqqqqqqqqqqqqqqqqqqqqikiqiqfhghfhggfihfggfflgfehighiiqlqoq\
    eqglnlknhhqgjgeeeefggfgghhghqiqkqqqqqqqqqqqqqqqqqqqqqqqqqqqikiqiqfhghfhggfihfggfflgfehighiiqlqoq\
    eqglnlknhhqgjgeeeefggfgghhghqiqkqqqqqqqqqqqqqqqqqqqqqqqqqqqikiqiqfhghfhggfihfggfflgfehighiiqlqoq\
    eqglnlknhhqgjgeeeefggfgghhghqiqkqqqqqqqqqqqqqqqqqqqqqqqqqqqikiqiqfhghfhggfihfggfflgfehighiiqlqoq\
    eqglnlknhhqgjgeeeefggfgghhghqiqkqqqqqqqqqqqqqqqqqqqqqqqqqqqikiqiqfhghfhggfihfggfflgfehighiiqlqoq\
    eqglnlknhhqgjgeeeefggfgghhghqiqkqqqqqqqqqqqqqqqqqqqqqqqqqqqikiqiqfhghfhggfihfggfflgfehighiiqlqoq\
    eqglnlknhhqgjgeeeefggfgghhghqiqkqqqqqqqqqqqqqqqqqqqqqqqqqqqikiqiqfhghfhggfihfggfflgfehighiiqlqoq\
    eqglnlknhhqgjgeeeefggfgghhghqiqkqqqqqqqqqqqqqqqqqqqqqqqqqqqikiqiqfhghfhggfihfggfflgfehighiiqlqoq\
    eqglnlknhhqgjgeeeefggfgghhghqiqkqqqqqqqqqqqqqqqqqqqqqqqqqqqikiqiqfhghfhggfihfggfflgfehighiiqlqoq\
    eqglnlknhhqgjgeeeefggfgghhghqiqkqqqqqqqqqqqqqqqqqqqqqqqqqqqikiqiqfhghfhggfihfggfflgfehighiiqlqoq\
    eqglnlknhhqgjgeeeefggfgghhghqiqkqqqqqqqqqqqqqqqqqqqqqqqqqqqikiqiqfhghfhggfihfggfflgfehighiiqlqoq\
    eqglnlknhhqgjgeeeefggfgghhghqiqkqqqqqqqqqqqqqqqqqqqqqqqqqqqikiqiqfhghfhggfihfggfflgfehighiiqlqoq\
    eqglnlknhhqgjgeeeefggfgghhghqiqkqqqqqqqqqqqqqqqqqqqqqqqqqqqikiqiqfhghfhggfihfggfflgfehighiiqlqoq\
    eqglnlknhhqgjgeeeefggfgghhghqiqkqqqqqqqqqqqqqqqqqqqqqqqqqqqikiqiqfhghfhggfihfggfflgfehighiiqlqoq\
    uuuuuuuuuuuuuuuuuaeuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuu\
    uuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuccuuuuuuucuucuuuuuduuuuhuuuuuuu\
    auuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuu\
    eqglnlknhhqgjgeeeefggfgghhghqiqkqqqqqqqqqqqqqqqqqqqqqqqqqqqikiqiqfhghfhggfihfggfflgfehighiiqlqoq\
    uuuuuuuuuuuuuouugdijhdedhfuuupuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuhufefllijkfuldgjiimhglgehnmnuuuuu\
    eqglnlknhhqgjgeeeefggfgghhghqiqkqqqqqqqqqqqqqqqqqqqqqqqqqqqikiqiqfhghfhggfihfggfflgfehighiiqlqoq\
    kumuujkuupuluijdononnkoonmuqukuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuunuliefmeeiiikeefmdndeeigjienuuuuu\
    jukuuiiuueuouikfllilljllllulupuouuuuuuuuuuuuuuuuuuuuuuuuuuuuouukufllihkkldnccjjdhlhhmfhfogmuuuuu\
    fumuummuunuguiihnklnmnnnmnulujupuuuuuuuuuuuuuuuuuuuuuuuuuuuuquuiuflgjfkjdfkcfijcfmgfehqjljouuuuu\
    fumuuhgnkmufjhgfmmklljkmmnkkufukuuuuuuuuuuuuuuuuuuuuuuuuuuuupuukugikjdhfheimiehcgkffiellkhouuuuu\
    eumuulkpmluglieenhjnnnoonorguguquuuuuuuuuuuuuuuuuuuuuuuuuuuuruujugedfgfhojniffflhjeddmjeelluuuuu\
    gumuuhjmuounufjqjkjkklmmlmuqukuouuuuuuuuuuuuuuuuuuuuuuuuuuuuouumucikkfhkiciigjkcjiiggkmijmnuuuuu\
    eumuulkmuuuluieenmlomkpqkouquiuquuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuhukhlnblijfonfmhekliekiomnnmuuuuu\
    hunuuniuulujufhiqnqmopppoqufugujuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuujuhiimfomjhnnklodemdpbmkjpmnuuuuu\
    luouuspupksqulmemosnprkpoosrukusuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuhuigffgjhnmoedgcefnfhdkinlmkuuuuu\
    uuuuuuhuuluuunoumkholnnojmuuuouuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuouenhednmmmlokmofffjemblmkmjuuuuu\
    juluurnoumujuihjpponopqnouuoukujuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuunulmikcllccolnomcllmjlkomlnouuuuu\
    gujrulmpliuiejeeoiqqppqrqqrjujujuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuupudomhcikidpmdmmeikijjhmjokouuuuu\
    julnujmuuiukugkenopqmrpoquqmujuruuuuuuuuuuuuuuuuuuuuuuuuuuuuuuujudjmidojmemndipcdmifmkonikquuuuu\
    huiuupkpuoujuggemppmmueprnumuhupuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuulufigdegfmgokkmhhllnfbfknpjmuuuuu\
    jmnuumpuueusuhffqruqporrnsuqumuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuguunuhfhgiiemhhihddfgnedffkefoduuuuu\
    gukuukoqqjukuffdopqmoqpsqqflukufluuuuuuuuuuuuuuuuuuuuuuuuuuuuuukuenjjgphehoodlgddqeeifnnfiquuumu\
    uuhuueguuuufummlhekikllmlluuueuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuiuiijgifkeidlijkjkijhhbuighuuuuuu\
    hunuukknumukuhgfpqooqpqppqonuhurnuuuuuuuuuuuuuuuuuuuuuuuuuuuuuulugifgdkgndkkfhhchliedheknfquuuuu\
    dukuujikujufuhgdqminnmmprgejujuiuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuluejhjekkeemkjgkefikfdjhlmkpuuupu\
    dujuuliotkuguigdpqpnlqoqrkpkuhukpuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuiuelimdkogfppjemednifdinjjiouuuuu\
    funuuppuunugujjkqqopllllkmuhupuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuluhgegflhmhnkcgelemefcnnnelquuuuu\
    iuuuuuuuuuuuuihinhhpmoomopcuufuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuujugpeibigmemmohghkgpienmlhomuuuuu\
    iukuupiuuounuleinrouoqgppnunumuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuupukmlmcojnclmikjeemjdlnndoliufuuu\
    cuiuuplkueuguiddofgplhdhgoufuquiuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuoudimfkmlikmkkgmmimmkfkjmlkmuuuuu\
    euluuieluluhuhfbjnmnnnnoupuuufuouuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuiugjikihjlloleffdhjlgfmnkllmuuuuu\
    muuuuuuuuuuuupijonnpnmknuuupuluuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuouilnlhjhlamlmknhnhnknnmlmomuuuuu\
    eqglnlknhhqgjgeeeefggfgghhghqiqkqqqqqqqqqqqqqqqqqqqqqqqqqqqikiqiqfhghfhggfihfggfflgfehighiiqlqoq\
    uuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuauuuuuuuuuuuuuuuuuuuuuuuuuuuu\
    eqglnlknhhqgjgeeeefggfgghhghqiqkqqqqqqqqqqqqqqqqqqqqqqqqqqqikiqiqfhghfhggfihfggfflgfehighiiqlqoq\
    duuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuaguguuuuuuuuuuiujuuuuuuuuuuuuu\
    eqglnlknhhqgjgeeeefggfgghhghqiqkqqqqqqqqqqqqqqqqqqqqqqqqqqqikiqiqfhghfhggfihfggfflgfehighiiqlqoq";

// `COMMON_4`: the four-byte strings of at least 2^-13 of the positions in the same kind of
// text, counted, from the real log and the three mixes made with another seed than the
// benchmark logs' (18):
//   benches/gen_traffic.py T --size-mb 40 --files 1 --combined-mb 40 --seed 5
//   scripts/rarity-table.py --common apache_logs T/W3SVC1/* T/combined/apache/* \
//       T/combined/nginx/* > src/logscan/filter/common4.rs
include!("common4.rs");

/// Bits of a four-byte string absent from `COMMON_4`: it is rarer than all of them.
const UNCOMMON_BITS: u32 = 14;

/// Bits (-log2 of the expected share of positions) for `text` starting at a position of
/// web-log text: counted for four bytes, else a first-order estimate from the tables above.
/// The estimate alone put `.asp` at 2^-19 where IIS logs hold it at 2^-8, and windows
/// chosen by it were found every few hundred bytes.
pub(super) fn bits(text: &[u8]) -> u32 {
    if let Ok(four) = <&[u8; 4]>::try_from(text) {
        return match COMMON_4.binary_search_by(|(w, _)| w.as_slice().cmp(four)) {
            Ok(i) => u32::from(COMMON_4[i].1),
            Err(_) => first_order(text).max(UNCOMMON_BITS),
        };
    }
    first_order(text)
}

/// The first-order estimate of [`bits`].
fn first_order(text: &[u8]) -> u32 {
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
    fn counted_strings_are_sorted_and_win_over_the_estimate() {
        assert!(COMMON_4.windows(2).all(|w| w[0].0 < w[1].0));
        // Every line of an IIS log of an ASP.NET site, and most user agents.
        assert!(bits(b".asp") <= 11, "{}", bits(b".asp"));
        assert!(bits(b"dows") <= 11, "{}", bits(b"dows"));
        assert!(first_order(b".asp") > 16);
        assert!(bits(b"oami") >= UNCOMMON_BITS);
    }

    #[test]
    fn common_log_text_ranks_below_attack_text() {
        // `http` and `.aspx` fill ordinary IIS logs; `${jndi` and `whoami` do not.
        assert!(bits(b"http") < bits(b"{jnd"));
        assert!(bits(b"aspx") < bits(b"oami"));
        assert!(bits(b"test") < bits(b"`ipc"));
    }
}
