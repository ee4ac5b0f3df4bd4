package org.newsflow.analysis;

import org.apache.lucene.analysis.Tokenizer;
import org.apache.lucene.analysis.classic.ClassicTokenizer;
import org.apache.lucene.analysis.core.KeywordTokenizer;
import org.apache.lucene.analysis.core.LetterTokenizer;
import org.apache.lucene.analysis.core.WhitespaceTokenizer;
import org.apache.lucene.analysis.email.UAX29URLEmailTokenizer;
import org.apache.lucene.analysis.ngram.EdgeNGramTokenizer;
import org.apache.lucene.analysis.ngram.NGramTokenizer;
import org.apache.lucene.analysis.path.PathHierarchyTokenizer;
import org.apache.lucene.analysis.path.ReversePathHierarchyTokenizer;
import org.apache.lucene.analysis.pattern.PatternTokenizer;
import org.apache.lucene.analysis.standard.StandardAnalyzer;
import org.apache.lucene.util.AttributeFactory;
import org.elasticsearch.common.regex.Regex;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.index.IndexSettings;
import org.elasticsearch.index.analysis.AbstractTokenizerFactory;
import org.elasticsearch.index.analysis.TokenizerFactory;
import org.elasticsearch.indices.analysis.AnalysisModule.AnalysisProvider;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.IntPredicate;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/** Tokenizers of the official analysis-common module, re-implemented on top of Lucene. */
final class Tokenizers {

    private Tokenizers() {}

    static final class Simple extends AbstractTokenizerFactory {
        private final Supplier<Tokenizer> supplier;

        Simple(IndexSettings is, Settings s, String name, Supplier<Tokenizer> supplier) {
            super(is, s, name);
            this.supplier = supplier;
        }

        @Override
        public Tokenizer create() {
            return supplier.get();
        }
    }

    /** Parses upstream's {@code token_chars} / {@code custom_token_chars}; null means "every character". */
    static IntPredicate tokenChars(Settings s) {
        List<String> classes = s.getAsList("token_chars");
        if (classes.isEmpty()) {
            return null;
        }
        IntPredicate result = c -> false;
        for (String cls : classes) {
            IntPredicate p;
            switch (cls.toLowerCase(Locale.ROOT)) {
                case "letter":
                    p = Character::isLetter;
                    break;
                case "digit":
                    p = Character::isDigit;
                    break;
                case "whitespace":
                    p = Character::isWhitespace;
                    break;
                case "punctuation":
                    p = c -> {
                        switch (Character.getType(c)) {
                            case Character.CONNECTOR_PUNCTUATION:
                            case Character.DASH_PUNCTUATION:
                            case Character.START_PUNCTUATION:
                            case Character.END_PUNCTUATION:
                            case Character.INITIAL_QUOTE_PUNCTUATION:
                            case Character.FINAL_QUOTE_PUNCTUATION:
                            case Character.OTHER_PUNCTUATION:
                                return true;
                            default:
                                return false;
                        }
                    };
                    break;
                case "symbol":
                    p = c -> {
                        switch (Character.getType(c)) {
                            case Character.MATH_SYMBOL:
                            case Character.CURRENCY_SYMBOL:
                            case Character.MODIFIER_SYMBOL:
                            case Character.OTHER_SYMBOL:
                                return true;
                            default:
                                return false;
                        }
                    };
                    break;
                case "custom":
                    String custom = s.get("custom_token_chars");
                    if (custom == null) {
                        throw new IllegalArgumentException("Token type: [custom] requires setting [custom_token_chars]");
                    }
                    p = c -> custom.indexOf(c) >= 0 || (Character.isSupplementaryCodePoint(c) && custom.contains(new String(Character.toChars(c))));
                    break;
                default:
                    throw new IllegalArgumentException(
                        "Unknown token type: '" + cls + "', must be one of [symbol, custom, digit, whitespace, letter, punctuation]"
                    );
            }
            result = result.or(p);
        }
        return result;
    }

    private static TokenizerFactory ngram(IndexSettings is, String name, Settings s, boolean edge) {
        int minGram = s.getAsInt("min_gram", edge ? EdgeNGramTokenizer.DEFAULT_MIN_GRAM_SIZE : NGramTokenizer.DEFAULT_MIN_NGRAM_SIZE);
        int maxGram = s.getAsInt("max_gram", edge ? EdgeNGramTokenizer.DEFAULT_MAX_GRAM_SIZE : NGramTokenizer.DEFAULT_MAX_NGRAM_SIZE);
        if (edge == false && maxGram - minGram > is.getMaxNgramDiff()) {
            throw new IllegalArgumentException(
                "The difference between max_gram and min_gram in NGram Tokenizer must be less than or equal to: ["
                    + is.getMaxNgramDiff()
                    + "] but was ["
                    + (maxGram - minGram)
                    + "]. This limit can be set by changing the ["
                    + IndexSettings.MAX_NGRAM_DIFF_SETTING.getKey()
                    + "] index level setting."
            );
        }
        IntPredicate chars = tokenChars(s);
        Supplier<Tokenizer> supplier;
        if (edge) {
            supplier = chars == null
                ? () -> new EdgeNGramTokenizer(minGram, maxGram)
                : () -> new EdgeNGramTokenizer(minGram, maxGram) {
                    @Override
                    protected boolean isTokenChar(int chr) {
                        return chars.test(chr);
                    }
                };
        } else {
            supplier = chars == null
                ? () -> new NGramTokenizer(minGram, maxGram)
                : () -> new NGramTokenizer(minGram, maxGram) {
                    @Override
                    protected boolean isTokenChar(int chr) {
                        return chars.test(chr);
                    }
                };
        }
        return new Simple(is, s, name, supplier);
    }

    private static TokenizerFactory pathHierarchy(IndexSettings is, String name, Settings s) {
        int bufferSize = s.getAsInt("buffer_size", 1024);
        char delimiter = singleChar(s, "delimiter", PathHierarchyTokenizer.DEFAULT_DELIMITER);
        char replacement = singleChar(s, "replacement", delimiter);
        int skip = s.getAsInt("skip", 0);
        boolean reverse = s.getAsBoolean("reverse", false);
        Supplier<Tokenizer> supplier = reverse
            ? () -> new ReversePathHierarchyTokenizer(bufferSize, delimiter, replacement, skip)
            : () -> new PathHierarchyTokenizer(bufferSize, delimiter, replacement, skip);
        return new Simple(is, s, name, supplier);
    }

    private static char singleChar(Settings s, String key, char defaultValue) {
        String v = s.get(key);
        if (v == null) {
            return defaultValue;
        }
        if (v.length() != 1) {
            throw new IllegalArgumentException(key + " must be a one char value");
        }
        return v.charAt(0);
    }

    static Map<String, AnalysisProvider<TokenizerFactory>> providers() {
        Map<String, AnalysisProvider<TokenizerFactory>> m = new LinkedHashMap<>();
        m.put("keyword", (is, env, name, s) -> {
            int bufferSize = s.getAsInt("buffer_size", KeywordTokenizer.DEFAULT_BUFFER_SIZE);
            return new Simple(is, s, name, () -> new KeywordTokenizer(bufferSize));
        });
        m.put("whitespace", (is, env, name, s) -> {
            int max = s.getAsInt("max_token_length", StandardAnalyzer.DEFAULT_MAX_TOKEN_LENGTH);
            return new Simple(is, s, name, () -> new WhitespaceTokenizer(AttributeFactory.DEFAULT_ATTRIBUTE_FACTORY, max));
        });
        m.put("letter", (is, env, name, s) -> new Simple(is, s, name, LetterTokenizer::new));
        m.put("classic", (is, env, name, s) -> {
            int max = s.getAsInt("max_token_length", StandardAnalyzer.DEFAULT_MAX_TOKEN_LENGTH);
            return new Simple(is, s, name, () -> {
                ClassicTokenizer t = new ClassicTokenizer();
                t.setMaxTokenLength(max);
                return t;
            });
        });
        m.put("uax_url_email", (is, env, name, s) -> {
            int max = s.getAsInt("max_token_length", StandardAnalyzer.DEFAULT_MAX_TOKEN_LENGTH);
            return new Simple(is, s, name, () -> {
                UAX29URLEmailTokenizer t = new UAX29URLEmailTokenizer();
                t.setMaxTokenLength(max);
                return t;
            });
        });
        m.put("ngram", (is, env, name, s) -> ngram(is, name, s, false));
        m.put("edge_ngram", (is, env, name, s) -> ngram(is, name, s, true));
        m.put("pattern", (is, env, name, s) -> {
            Pattern p = Pattern.compile(s.get("pattern", "\\W+"), Regex.flagsFromString(s.get("flags")));
            int group = s.getAsInt("group", -1);
            return new Simple(is, s, name, () -> new PatternTokenizer(p, group));
        });
        m.put("path_hierarchy", (is, env, name, s) -> pathHierarchy(is, name, s));
        return m;
    }
}
