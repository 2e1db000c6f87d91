package io.atrium.vmm.gpu;

import java.io.IOException;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.List;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.xml.sax.InputSource;
import org.xml.sax.SAXException;

/**
 * Parses {@code nvidia-smi -q -x} (the {@code nvidia_smi_log} document) with the JDK's DOM parser. The
 * document's DTD is never fetched and external entities are refused. Missing elements read as empty strings.
 */
public final class NvidiaSmiXmlParser {

    /**
     * The attributes Atrium reads from one {@code <gpu>} element.
     *
     * @param pciBusId           the {@code id} attribute, e.g. {@code 00000000:00:06.0}
     * @param memoryTotalMiB     {@code fb_memory_usage/total}
     * @param memoryReservedMiB  {@code fb_memory_usage/reserved} (0 when absent)
     * @param virtualizationMode {@code gpu_virtualization_mode/virtualization_mode}, e.g. {@code Pass-Through}
     * @param hostVgpuMode       {@code gpu_virtualization_mode/host_vgpu_mode}
     */
    public record GpuXml(String pciBusId, String productName, String uuid, int minorNumber, long memoryTotalMiB,
                         long memoryReservedMiB, MigMode migCurrent, MigMode migPending, String virtualizationMode,
                         String hostVgpuMode, String driverVersion) {
    }

    private NvidiaSmiXmlParser() {
    }

    public static List<GpuXml> parse(String xml) {
        Document doc = document(xml);
        Element root = doc.getDocumentElement();
        String driver = text(root, "driver_version");
        List<GpuXml> gpus = new ArrayList<>();
        for (Node n = root.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element gpu && gpu.getTagName().equals("gpu")) {
                String pci = gpu.getAttribute("id");
                if (pci.isEmpty()) {
                    pci = text(gpu, "pci", "pci_bus_id");
                }
                String minor = text(gpu, "minor_number");
                gpus.add(new GpuXml(
                        pci,
                        text(gpu, "product_name"),
                        text(gpu, "uuid"),
                        minor.matches("\\d+") ? Integer.parseInt(minor) : -1,
                        QueryGpuCsvParser.mib(text(gpu, "fb_memory_usage", "total")),
                        QueryGpuCsvParser.mib(text(gpu, "fb_memory_usage", "reserved")),
                        MigMode.parse(text(gpu, "mig_mode", "current_mig")),
                        MigMode.parse(text(gpu, "mig_mode", "pending_mig")),
                        text(gpu, "gpu_virtualization_mode", "virtualization_mode"),
                        text(gpu, "gpu_virtualization_mode", "host_vgpu_mode"),
                        driver));
            }
        }
        return List.copyOf(gpus);
    }

    private static Document document(String xml) {
        try {
            DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
            f.setNamespaceAware(false);
            f.setValidating(false);
            f.setExpandEntityReferences(false);
            f.setXIncludeAware(false);
            f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            f.setFeature("http://xml.org/sax/features/external-general-entities", false);
            f.setFeature("http://xml.org/sax/features/external-parameter-entities", false);
            f.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
            f.setAttribute(XMLConstants.ACCESS_EXTERNAL_DTD, "");
            f.setAttribute(XMLConstants.ACCESS_EXTERNAL_SCHEMA, "");
            DocumentBuilder b = f.newDocumentBuilder();
            return b.parse(new InputSource(new StringReader(xml)));
        } catch (ParserConfigurationException | SAXException | IOException e) {
            throw new NvidiaSmiParseException("cannot parse nvidia-smi -q -x output: " + e.getMessage(), e);
        }
    }

    /** Text of the element reached by following direct children named {@code path}, stripped; "" if absent. */
    private static String text(Element from, String... path) {
        Element e = from;
        for (String name : path) {
            e = child(e, name);
            if (e == null) {
                return "";
            }
        }
        return e.getTextContent().strip();
    }

    private static Element child(Element parent, String name) {
        for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e && e.getTagName().equals(name)) {
                return e;
            }
        }
        return null;
    }
}
