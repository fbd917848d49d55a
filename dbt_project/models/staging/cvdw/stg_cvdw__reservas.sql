{%- set src = source('cvdw', 'reservas') -%}
{%- set cols = cvdw_columns('cvdw', 'reservas') -%}

with

renamed as (

    select
        {{ cvdw_column(cols, 'idreserva', 'bigint') }} as idreserva,
        {{ cvdw_text(cvdw_column(cols, 'codigointerno')) }} as codigo_interno,
        {{ cvdw_text(cvdw_column(cols, 'numero_venda')) }} as numero_venda,
        {{ cvdw_column(cols, 'idempreendimento', 'bigint') }} as idempreendimento,
        {{ cvdw_text(cvdw_column(cols, 'empreendimento')) }} as empreendimento,
        {{ cvdw_text(cvdw_column(cols, 'etapa')) }} as etapa,
        {{ cvdw_text(cvdw_column(cols, 'bloco')) }} as bloco,
        {{ cvdw_column(cols, 'idunidade', 'bigint') }} as idunidade,
        {{ cvdw_text(cvdw_column(cols, 'unidade')) }} as unidade,
        {{ cvdw_text(cvdw_column(cols, 'regiao')) }} as regiao,
        {{ cvdw_column(cols, 'idcliente', 'bigint') }} as idcliente,
        {{ cvdw_column(cols, 'idcorretor', 'bigint') }} as idcorretor,
        {{ cvdw_text(cvdw_column(cols, 'corretor')) }} as corretor,
        {{ cvdw_column(cols, 'idimobiliaria', 'bigint') }} as idimobiliaria,
        {{ cvdw_text(cvdw_column(cols, 'imobiliaria')) }} as imobiliaria,
        {{ cvdw_text(cvdw_column(cols, 'idlead')) }} as idlead,
        {{ cvdw_column(cols, 'idsituacao', 'bigint') }} as idsituacao,
        {{ cvdw_text(cvdw_column(cols, 'situacao')) }} as situacao,
        {{ cvdw_text(cvdw_column(cols, 'situacao_comercial')) }} as situacao_comercial,
        {{ cvdw_text(cvdw_column(cols, 'situacao_anterior')) }} as situacao_anterior,
        {{ cvdw_bool(cvdw_column(cols, 'aprovada')) }} as is_aprovada,
        {{ cvdw_bool(cvdw_column(cols, 'venda')) }} as is_venda,
        {{ cvdw_bool(cvdw_column(cols, 'cessao')) }} as is_cessao,
        {{ cvdw_text(cvdw_column(cols, 'tipovenda')) }} as tipo_venda,
        {{ cvdw_text(cvdw_column(cols, 'midia')) }} as midia,
        {{ cvdw_text(cvdw_column(cols, 'campanha')) }} as campanha,
        {{ cvdw_text(cvdw_column(cols, 'nometabela')) }} as tabela,
        {{ cvdw_timestamp(cvdw_column(cols, 'data_cad')) }} as data_cad,
        {{ cvdw_timestamp(cvdw_column(cols, 'data_venda')) }} as data_venda,
        {{ cvdw_date(cvdw_column(cols, 'data_contrato')) }} as data_contrato,
        {{ cvdw_timestamp(cvdw_column(cols, 'data_aprovacao')) }} as data_aprovacao,
        {{ cvdw_timestamp(cvdw_column(cols, 'data_cancelamento')) }} as data_cancelamento,
        {{ cvdw_text(cvdw_column(cols, 'motivo_cancelamento')) }} as motivo_cancelamento,
        {{ cvdw_numeric(cols, 'valor_contrato') }} as valor_contrato,
        {{ cvdw_numeric(cols, 'valor_contrato_com_juros') }} as valor_contrato_com_juros,
        {{ cvdw_numeric(cols, 'valor_proposta') }} as valor_proposta,
        {{ cvdw_numeric(cols, 'vpl_reserva') }} as vpl_reserva,
        {{ cvdw_numeric(cols, 'vgv_tabela') }} as vgv_tabela,
        {{ cvdw_numeric(cols, 'vpl_tabela') }} as vpl_tabela,
        {{ cvdw_numeric(cols, 'valor_financiamento') }} as valor_financiamento,
        {{ cvdw_numeric(cols, 'valor_fgts') }} as valor_fgts,
        {{ cvdw_numeric(cols, 'valor_subsidio') }} as valor_subsidio,
        coalesce({{ cvdw_bool(cvdw_column(cols, 'ativo')) }}, true) as is_ativo,
        {{ cvdw_timestamp(cvdw_column(cols, 'referencia_data')) }} as atualizado_em,
        {{ cvdw_column(cols, '_dlt_load_id') }} as _dlt_load_id
    from {{ cvdw_from(src, cols) }}

),

final as (

    select distinct on (idreserva) *
    from renamed
    where idreserva is not null
    order by idreserva, {{ cvdw_newest_first() }}

)

select * from final
