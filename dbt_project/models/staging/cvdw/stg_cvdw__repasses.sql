-- One row per repasse (`idrepasse`), the bank-financed part of a sale. `idlead` is a list, kept
-- as CVDW's text. The client's name, document and CEP are not read.
with

source as (

    {{ cvdw_source('repasses') }}

),

renamed as (

    select
        conta,
        idrepasse,
        idreserva,
        idsituacao,
        {{ cvdw_text('situacao') }} as situacao,
        idempreendimento,
        {{ cvdw_text('empreendimento') }} as empreendimento,
        {{ cvdw_text('etapa') }} as etapa,
        {{ cvdw_text('bloco') }} as bloco,
        idunidade,
        {{ cvdw_text('unidade') }} as unidade,
        {{ cvdw_text('regiao') }} as regiao,
        idcliente,
        {{ cvdw_text('idlead') }} as idlead,
        idcontrato,
        {{ cvdw_text('contrato') }} as contrato,
        {{ cvdw_text('numero_contrato') }} as numero_contrato,
        {{ cvdw_text('parcela') }} as parcela,
        {{ cvdw_text('banco') }} as banco,
        {{ cvdw_text('agencia') }} as agencia,
        {{ cvdw_text('correspondente') }} as correspondente,
        {{ cvdw_number('valor_previsto') }} as valor_previsto,
        {{ cvdw_number('valor_financiado') }} as valor_financiado,
        {{ cvdw_number('valor_fgts') }} as valor_fgts,
        {{ cvdw_number('valor_subsidio') }} as valor_subsidio,
        {{ cvdw_number('saldo_devedor') }} as saldo_devedor,
        {{ cvdw_number('valor_divida') }} as valor_divida,
        {{ cvdw_number('parcela_conclusao') }} as parcela_conclusao,
        {{ cvdw_timestamp('data_venda') }} as data_venda,
        {{ cvdw_timestamp('data_assinatura_de_contrato') }} as data_assinatura_de_contrato,
        {{ cvdw_timestamp('data_registro') }} as data_registro,
        {{ cvdw_timestamp('data_recurso_liberado') }} as data_recurso_liberado,
        {{ cvdw_timestamp('data_contrato_contabilizado') }} as data_contrato_contabilizado,
        {{ cvdw_timestamp('data_alteracao_status') }} as data_alteracao_status,
        {{ cvdw_timestamp('data_cadastro') }} as data_cad,
        {{ cvdw_timestamp('data_modificacao') }} as data_modificacao,
        coalesce({{ cvdw_bool('ativo') }}, true) as is_ativo,
        {{ cvdw_timestamp('referencia_data') }} as atualizado_em,
        _dlt_load_id
    from source

),

final as (

    select distinct on (conta, idrepasse) *
    from renamed
    where idrepasse is not null
    order by conta, idrepasse, {{ cvdw_newest_first() }}

)

select * from final
